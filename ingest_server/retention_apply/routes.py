"""Retention API: a clip's decision and reasons, category changes (through the
guard), change requests and their approval, the policy and its dry-run diff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from sqlalchemy import select

from ingest_server.deps import Approver, ContextDep, Reader, SessionDep, Writer, source_address
from ingest_server.retention_apply import approvals, guard, policy_store, recompute
from ingest_server.retention_apply.http import ERRORS, PENDING_RESPONSE, respond, service_errors
from ingest_server.retention_apply.models import ChangeRequest, ClipRetention, RetentionPolicyRow
from ingest_server.retention_apply.schemas import (
    ApprovalIn,
    CategoryChange,
    ChangeRequestPublic,
    PolicyDryRun,
    PolicyIn,
    PolicyPublic,
    RetentionPublic,
)
from ingest_server.schemas_common import CLIP_ID_PATTERN

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])
ClipId = Annotated[str, Path(pattern=CLIP_ID_PATTERN, description="32 hex digits")]
RequestId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


@router.get(
    "/clips/{clip_id}",
    name="retention.clip",
    summary="A clip's retention: until when, and every reason",
    response_model=RetentionPublic,
    responses=ERRORS,
)
def clip_retention(clip_id: ClipId, ctx: ContextDep, session: SessionDep, who: Reader) -> RetentionPublic:
    row = session.get(ClipRetention, clip_id)
    if row is not None:
        return RetentionPublic.of(row)
    # Never decided yet (stored before linking ran): show the decision now, change nothing.
    decided = recompute.decisions(
        session=session, clip_ids=[clip_id], policy=policy_store.current(session=session), now=ctx.clock()
    )
    if clip_id not in decided:
        raise HTTPException(404, f"no stored clip {clip_id}")
    return RetentionPublic.of_decision(decided[clip_id])


@router.put(
    "/clips/{clip_id}/category",
    name="retention.categorise",
    summary="Change a clip's category (a shortening waits for a second custodian)",
    response_model=RetentionPublic,
    responses={**ERRORS, **PENDING_RESPONSE},
)
def categorise(
    clip_id: ClipId, body: CategoryChange, request: Request, ctx: ContextDep, session: SessionDep, who: Writer
):
    with service_errors():
        outcome = guard.run(
            ctx=ctx,
            session=session,
            kind="category",
            params={"clip_id": clip_id, **body.model_dump()},
            description=f"categorise clip {clip_id} as {body.category}: {body.reason}",
            requester_id=who.id,
            requester=who.label,
            source=source_address(request),
        )
    return respond(outcome, lambda clip: RetentionPublic.of(session.get(ClipRetention, clip.id)))


@router.get(
    "/changes",
    name="retention.changes",
    summary="Retention changes (pending ones wait for approval)",
    response_model=list[ChangeRequestPublic],
    responses=ERRORS,
)
def list_changes(
    session: SessionDep,
    who: Reader,
    status: Annotated[str | None, Query(pattern="^(pending|applied|rejected)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ChangeRequestPublic]:
    query = select(ChangeRequest).order_by(ChangeRequest.requested_at.desc()).limit(limit)
    if status:
        query = query.where(ChangeRequest.status == status)
    return [ChangeRequestPublic.of(r) for r in session.execute(query).scalars()]


@router.get(
    "/changes/{request_id}",
    name="retention.change",
    summary="One change request and its dry run",
    response_model=ChangeRequestPublic,
    responses=ERRORS,
)
def get_change(request_id: RequestId, session: SessionDep, who: Reader) -> ChangeRequestPublic:
    row = session.get(ChangeRequest, request_id)
    if row is None:
        raise HTTPException(404, f"no retention change request {request_id}")
    return ChangeRequestPublic.of(row)


@router.post(
    "/changes/{request_id}/approve",
    name="retention.approve",
    summary="Approve (or refuse) a shortening: a custodian other than the requester",
    response_model=ChangeRequestPublic,
    responses=ERRORS,
)
def approve(
    request_id: RequestId,
    body: ApprovalIn,
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    who: Approver,
) -> ChangeRequestPublic:
    with service_errors():
        row = approvals.decide(
            ctx=ctx,
            session=session,
            request_id=request_id,
            approver=who,
            approve=body.approve,
            note=body.note,
            source=source_address(request),
        )
    return ChangeRequestPublic.of(row)


@router.get("/policy", name="retention.policy", summary="The policy in force", response_model=PolicyPublic)
def get_policy(session: SessionDep, who: Reader) -> PolicyPublic:
    policy = policy_store.current(session=session)
    row = session.execute(
        select(RetentionPolicyRow).order_by(RetentionPolicyRow.id.desc()).limit(1)
    ).scalar_one_or_none()
    return PolicyPublic(
        version=policy.version,
        toml=row.toml_text if row else None,
        categories={name: c.rule_text for name, c in sorted(policy.categories.items())},
    )


@router.post(
    "/policy/dry-run",
    name="retention.policy_dry_run",
    summary="What a policy change would do (changes nothing)",
    response_model=PolicyDryRun,
    responses=ERRORS,
)
def policy_dry_run(body: PolicyIn, ctx: ContextDep, session: SessionDep, who: Writer) -> PolicyDryRun:
    with service_errors():
        diff = approvals.policy_diff(session=session, toml_text=body.toml, now=ctx.clock())
    return PolicyDryRun(applied=False, lines=diff.lines())


@router.post(
    "/policy",
    name="retention.policy_change",
    summary="Propose a policy: applied at once unless it shortens anything (then a second custodian)",
    response_model=PolicyDryRun,
    responses={**ERRORS, 202: {"model": PolicyDryRun}},
)
def propose_policy(body: PolicyIn, request: Request, ctx: ContextDep, session: SessionDep, who: Writer):
    with service_errors():
        outcome = approvals.propose_policy(
            ctx=ctx, session=session, toml_text=body.toml, requester=who, source=source_address(request)
        )
    result = PolicyDryRun(
        applied=outcome.applied,
        lines=outcome.dry_run,
        change=ChangeRequestPublic.of(outcome.request) if outcome.request else None,
    )
    if outcome.applied:
        return result
    from fastapi.responses import JSONResponse

    return JSONResponse(result.model_dump(mode="json"), status_code=202)
