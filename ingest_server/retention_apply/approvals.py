"""A change that shortens retention waits here for a second, different custodian.

`decide(ctx=, session=, request_id=, approver=, approve=, note=)` records the approval
(or refusal) and asks the pure rule (`retention.approval_state`): approved by a
custodian other than the requester, the change is applied exactly as asked and
the clips recomputed; refused, it is closed as rejected. The requester cannot
approve their own change (409, audited). Policy changes are proposed here too:
`propose_policy` shows the dry-run diff and applies at once only when nothing
shortens.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.audit.source import audit_source, audit_source_of
from ingest_server.auth.service import Principal
from ingest_server.clips.models import STORED, Clip
from ingest_server.context import ServerContext
from ingest_server.refusals import Why
from ingest_server.retention_apply import guard, policy_store, recompute
from ingest_server.retention_apply.guard import ChangeError, Outcome
from ingest_server.retention_apply.models import (
    APPLIED,
    PENDING,
    REJECTED,
    ChangeRequest,
    ClipRetention,
    RetentionPolicyRow,
)
from retention import Approval, Approved, Person, Rejected, RetentionChange, approval_state, diff_policies


def _approvals(request: ChangeRequest) -> list[dict]:
    return json.loads(request.approvals_json)


def decide(
    *,
    ctx: ServerContext,
    session: Session,
    request_id: str,
    approver: Principal,
    approve: bool,
    note: str,
    source=None,
) -> ChangeRequest:
    request = session.get(ChangeRequest, request_id)
    if request is None:
        raise ChangeError(Why.NOT_FOUND, f"no retention change request {request_id}")
    if request.status != PENDING:
        raise ChangeError(Why.CONFLICT, f"change request {request_id} is already {request.status}")
    if approver.id == request.requested_by_id:
        raise ChangeError(Why.CONFLICT, "you requested this change: a different custodian must approve it")
    now = ctx.clock()
    entries = [
        *_approvals(request),
        {
            "by_id": approver.id,
            "by": approver.label,
            "role": approver.role.value,
            "approve": approve,
            "note": note,
            "at": now.isoformat(),
        },
    ]
    change = RetentionChange(
        request.id, Person(request.requested_by_id, "custodian"), request.description, True
    )
    state = approval_state(
        change, [Approval(Person(e["by_id"], e["role"]), e["approve"], e["note"]) for e in entries]
    )
    request.approvals_json = json.dumps(entries)
    audit.append(
        session=session,
        component="retention",
        event_type="retention.change_approved" if approve else "retention.change_refused",
        actor=approver.label,
        outcome="success",
        object_type="retention_change",
        object_id=request.id,
        source=source,
        detail={"kind": request.kind, "state": type(state).__name__, "reasons": list(state.reasons)},
    )
    if isinstance(state, Rejected):
        request.status, request.decided_at = REJECTED, now
        session.commit()
        return request
    if not isinstance(state, Approved):
        session.commit()
        return request
    actor = f"{request.requested_by} (approved by {approver.label})"
    params = json.loads(request.params_json)
    request.status, request.decided_at = APPLIED, now
    with audit_source_of(source):
        if request.kind == "policy":
            _activate(ctx, session, params["toml"], actor, entries, now)
        else:
            guard.execute(ctx=ctx, session=session, kind=request.kind, params=params, actor=actor, now=now)
    session.commit()
    return request


def _live_clip_ids(session: Session) -> list[str]:

    deleted = select(ClipRetention.clip_id).where(ClipRetention.deleted_at.is_not(None))
    query = select(Clip.id).where(Clip.state == STORED, Clip.id.not_in(deleted))
    return list(session.execute(query).scalars())


def policy_diff(*, session: Session, toml_text: str, now):
    new = policy_store.parse_text(toml_text)
    old = policy_store.current(session=session)
    return diff_policies(old, new, recompute.cases(session=session, clip_ids=_live_clip_ids(session)), now)


def _activate(ctx: ServerContext, session: Session, toml_text: str, actor: str, approvals: list, now) -> None:
    policy = policy_store.parse_text(toml_text)
    session.add(
        RetentionPolicyRow(
            version=policy.version,
            toml_text=toml_text,
            activated_at=now,
            activated_by=actor,
            approvals_json=json.dumps(approvals),
        )
    )
    audit.append(
        session=session,
        source=audit_source(),
        component="retention",
        event_type="retention.policy_activated",
        actor=actor,
        outcome="success",
        object_type="retention_policy",
        object_id=policy.version,
        detail={"version": policy.version, "approvals": approvals},
    )
    session.flush()
    recompute.apply(
        ctx=ctx, session=session, clip_ids=_live_clip_ids(session), actor=actor, now=now, policy=policy
    )


def propose_policy(
    *, ctx: ServerContext, session: Session, toml_text: str, requester: Principal, source=None
) -> Outcome:
    now = ctx.clock()
    diff = policy_diff(session=session, toml_text=toml_text, now=now)
    lines = diff.lines()
    if not diff.shortens:
        with audit_source_of(source):
            _activate(ctx, session, toml_text, requester.label, [], now)
        session.commit()
        return Outcome(True, None, None, lines)
    request = ChangeRequest(
        kind="policy",
        params_json=json.dumps({"toml": toml_text}),
        description=f"retention policy {diff.old_version} -> {diff.new_version}",
        dry_run_json=json.dumps(
            [
                {"clip_id": c.clip_id, "text": c.text, "deletable": c.becomes_deletable}
                for c in diff.clips
                if c.shortened
            ]
            + [{"clip_id": None, "text": line, "deletable": False} for line in lines]
        ),
        requested_by=requester.label,
        requested_by_id=requester.id,
        requested_at=now,
    )
    session.add(request)
    session.flush()
    audit.append(
        session=session,
        component="retention",
        event_type="retention.change_requested",
        actor=requester.label,
        outcome="pending",
        object_type="retention_change",
        object_id=request.id,
        source=source,
        detail={"kind": "policy", "dry_run": lines},
    )
    session.commit()
    return Outcome(False, None, request, lines)
