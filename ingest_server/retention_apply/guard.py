"""Every change that can touch retention goes through here.

`run(...)` applies the change inside a savepoint, decides the affected clips
after it, rolls the savepoint back, decides them as they are, and compares (both
at the same `now`). Nothing shortened: the change is applied for real, the
affected clips are recomputed and the store told, in one commit. Something
shortened: nothing changes; a `ChangeRequest` records the change, its dry run
(each clip whose retention would shorten, and which would become deletable) and
waits for a custodian other than the requester (`approvals.decide`).

Each kind of change is an applier: `(*, ctx, session, params, actor, now) -> Applied`,
registered in `appliers.py` (its types in `kinds.py`); it flushes and never commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.audit.source import audit_source_of
from ingest_server.context import ServerContext
from ingest_server.refusals import Why
from ingest_server.retention_apply import policy_store, recompute
from ingest_server.retention_apply.appliers import APPLIERS
from ingest_server.retention_apply.kinds import Applied, Applier, ChangeError
from ingest_server.retention_apply.models import ChangeRequest
from retention import ClipDiff


@dataclass
class Outcome:
    applied: bool
    result: Any = None
    request: ChangeRequest | None = None
    dry_run: list[str] = field(default_factory=list)


def applier(kind: str) -> Applier:
    try:
        return APPLIERS[kind]
    except KeyError:
        raise ChangeError(Why.BROKEN, f"no applier for change kind {kind!r}") from None


def dry_run(
    *, ctx: ServerContext, session: Session, kind: str, params: dict, actor: str, now: datetime
) -> list[ClipDiff]:
    """What the change would do to each affected clip; the database is left as it was."""
    apply_change = applier(kind)
    policy = policy_store.current(session=session)
    nested = session.begin_nested()
    try:
        affected = apply_change(ctx=ctx, session=session, params=params, actor=actor, now=now).affected
        session.flush()
        after = recompute.decisions(session=session, clip_ids=affected, policy=policy, now=now)
    finally:
        nested.rollback()
    before = recompute.decisions(session=session, clip_ids=affected, policy=policy, now=now)
    return [ClipDiff(cid, before[cid], after[cid]) for cid in after if cid in before]


def execute(
    *, ctx: ServerContext, session: Session, kind: str, params: dict, actor: str, now: datetime
) -> Applied:
    """Apply for real, recompute the affected clips (store first) and commit."""
    applied = applier(kind)(ctx=ctx, session=session, params=params, actor=actor, now=now)
    session.flush()
    recompute.apply(ctx=ctx, session=session, clip_ids=applied.affected, actor=actor, now=now)
    return applied


def run(
    *,
    ctx: ServerContext,
    session: Session,
    kind: str,
    params: dict,
    description: str,
    requester_id: str,
    requester: str,
    source: str | None = None,
) -> Outcome:
    now = ctx.clock()
    with audit_source_of(source):
        diffs = dry_run(ctx=ctx, session=session, kind=kind, params=params, actor=requester, now=now)
        shortened = [d for d in diffs if d.shortened]
        if not shortened:
            applied = execute(ctx=ctx, session=session, kind=kind, params=params, actor=requester, now=now)
            return Outcome(True, applied.result)
    lines = [{"clip_id": d.clip_id, "text": d.text, "deletable": d.becomes_deletable} for d in shortened]
    request = ChangeRequest(
        kind=kind,
        params_json=json.dumps(params, default=str),
        description=description,
        dry_run_json=json.dumps(lines),
        requested_by=requester,
        requested_by_id=requester_id,
        requested_at=now,
    )
    session.add(request)
    session.flush()
    audit.append(
        session=session,
        component="retention",
        event_type="retention.change_requested",
        actor=requester,
        outcome="pending",
        object_type="retention_change",
        object_id=request.id,
        source=source,
        detail={"kind": kind, "description": description, "shortens": [line["text"] for line in lines]},
    )
    session.commit()
    return Outcome(False, None, request, [line["text"] for line in lines])
