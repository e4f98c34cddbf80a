"""Recompute retention and tell the store: the one place decisions become effects.

`decisions(session=, clip_ids=, policy=, now=)` builds the engine's facts from the
database (clip, its active links' reports, its holds) and asks `retention.decide`.
`apply(ctx=, session=, clip_ids=, ...)` then, per clip, side effects first:
- extends the store's Object Lock retain-until to the decision's floor, never
  shortening (object_lock.py:extend_clip_lock, against what the database says
  the store has: moto cannot read a retention back, so the database is the
  source of truth);
- sets or clears the Object Lock legal hold (object_lock.py:set_clip_legal_hold);
both for the original and for each of its related files (sidecars), which follow it;
then records the decision in `clip_retention`, mirrors the locked date in
`clips.retain_until`, audits what changed, and commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server import object_lock
from ingest_server.audit import service as audit
from ingest_server.audit.source import audit_source
from ingest_server.clips.models import STORED, Clip
from ingest_server.context import ServerContext
from ingest_server.holds.service import for_clips
from ingest_server.linking.queries import linked_reports
from ingest_server.related import service as related_files
from ingest_server.reports.service import ig_released_by
from ingest_server.retention_apply import policy_store
from ingest_server.retention_apply.models import ClipRetention
from retention import (
    ClipCase,
    ClipFacts,
    Decision,
    HoldFacts,
    Policy,
    ReportFacts,
    decide,
)

SYSTEM_ACTOR = "system:retention"


def clip_facts(clip: Clip) -> ClipFacts:
    recorded = clip.corrected_start or clip.camera_start or clip.stored_at or clip.registered_at
    return ClipFacts(clip.id, recorded, clip.stored_at or clip.registered_at, frozenset({clip.category}))


def cases(*, session: Session, clip_ids: Iterable[str]) -> list[ClipCase]:
    """The engine's facts for the stored clips among `clip_ids` (others are skipped)."""
    ids = list(dict.fromkeys(clip_ids))
    clips: list[Clip] = []
    for start in range(0, len(ids), 500):
        clips += (
            session.execute(select(Clip).where(Clip.id.in_(ids[start : start + 500]), Clip.state == STORED))
            .scalars()
            .all()
        )
    stored = [c.id for c in clips]
    reports = linked_reports(session=session, clip_ids=stored)
    holds = for_clips(session=session, clip_ids=stored)
    out = []
    for clip in clips:
        report_facts = [
            ReportFacts(r.number, r.status, r.closed_at, r.inspector_general, frozenset(ig_released_by(r)))
            for r in reports[clip.id]
        ]
        hold_facts = [
            HoldFacts(h.id, h.placed_by, f"{h.matter}: {h.reason}", h.released_at) for h in holds[clip.id]
        ]
        out.append(ClipCase(clip_facts(clip), tuple(report_facts), tuple(hold_facts)))
    return out


def decisions(
    *, session: Session, clip_ids: Iterable[str], policy: Policy, now: datetime
) -> dict[str, Decision]:
    """Decisions for the stored clips among `clip_ids` (others are skipped)."""
    return {
        case.clip.id: decide(case.clip, case.reports, case.holds, policy, now)
        for case in cases(session=session, clip_ids=clip_ids)
    }


def apply(
    *,
    ctx: ServerContext,
    session: Session,
    clip_ids: Iterable[str],
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
    policy: Policy | None = None,
    commit: bool = True,
) -> dict[str, Decision]:
    now = now or ctx.clock()
    policy = policy or policy_store.current(session=session)
    decided = decisions(session=session, clip_ids=clip_ids, policy=policy, now=now)
    for clip_id, decision in decided.items():
        clip = session.get(Clip, clip_id)
        row = session.get(ClipRetention, clip_id)
        if row is not None and row.deleted_at is not None:
            continue
        in_store = row.store_retain_until if row is not None else clip.retain_until
        related = related_files.of_clip(session=session, clip_id=clip_id)  # follow the clip's lock
        target = object_lock.extend_clip_lock(
            ctx=ctx, clip=clip, in_store=in_store, desired=decision.retain_at_least_until, related=related
        )
        store_hold = row.store_legal_hold if row is not None else False
        if decision.legal_hold != store_hold:
            object_lock.set_clip_legal_hold(ctx=ctx, clip=clip, on=decision.legal_hold, related=related)
        before = None if row is None else (row.retain_until, row.retain_at_least_until, row.legal_hold)
        if row is None:
            row = ClipRetention(clip_id=clip_id)
            session.add(row)
        row.retain_until = decision.retain_until
        row.retain_at_least_until = decision.retain_at_least_until
        row.legal_hold = decision.legal_hold
        row.deletable = decision.deletable
        row.categories_json = json.dumps(list(decision.categories))
        row.reasons_json = json.dumps(list(decision.reasons))
        row.policy_version, row.decided_at = decision.policy_version, now
        row.store_retain_until, row.store_legal_hold = target, decision.legal_hold
        if clip.retain_until != target:
            clip.retain_until = target
        after = (decision.retain_until, decision.retain_at_least_until, decision.legal_hold)
        if before != after:
            audit.append(
                session=session,
                source=audit_source(),
                component="retention",
                event_type="retention.applied",
                actor=actor,
                outcome="success",
                object_type="clip",
                object_id=clip_id,
                detail={
                    "retain_until": decision.retain_until,
                    "store_retain_until": target,
                    "legal_hold": decision.legal_hold,
                    "policy_version": decision.policy_version,
                    "reasons": list(decision.reasons),
                },
            )
    if commit:
        session.commit()
    return decided
