"""Legal hold API: place (at once), release (the last hold's release waits for a
second custodian), list a clip's holds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from ingest_server.deps import ContextDep, Reader, SessionDep, Writer, source_address
from ingest_server.holds.schemas import HoldIn, HoldPublic, ReleaseIn
from ingest_server.holds.service import for_clips
from ingest_server.retention_apply import guard
from ingest_server.retention_apply.http import ERRORS, PENDING_RESPONSE, respond, service_errors
from ingest_server.schemas_common import CLIP_ID_PATTERN

router = APIRouter(prefix="/api/v1/holds", tags=["holds"])


@router.post(
    "",
    name="holds.place",
    summary="Place a legal hold on a clip",
    status_code=201,
    response_model=HoldPublic,
    responses=ERRORS,
)
def place(body: HoldIn, request: Request, ctx: ContextDep, session: SessionDep, who: Writer):
    with service_errors():
        outcome = guard.run(
            ctx=ctx,
            session=session,
            kind="hold_place",
            params=body.model_dump(),
            requester_id=who.id,
            requester=who.label,
            description=f"hold clip {body.clip_id} for {body.matter}",
            source=source_address(request),
        )
    return respond(outcome, HoldPublic.of, 201)


@router.post(
    "/{hold_id}/release",
    name="holds.release",
    summary="Release a legal hold (may need approval)",
    response_model=HoldPublic,
    responses={**ERRORS, **PENDING_RESPONSE},
)
def release(
    hold_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    body: ReleaseIn,
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    who: Writer,
):
    with service_errors():
        outcome = guard.run(
            ctx=ctx,
            session=session,
            kind="hold_release",
            params={"hold_id": hold_id, "reason": body.reason},
            requester_id=who.id,
            requester=who.label,
            description=f"release hold {hold_id}: {body.reason}",
            source=source_address(request),
        )
    return respond(outcome, HoldPublic.of)


@router.get(
    "", name="holds.list", summary="A clip's holds", response_model=list[HoldPublic], responses=ERRORS
)
def list_holds(
    clip_id: Annotated[str, Query(pattern=CLIP_ID_PATTERN)], session: SessionDep, who: Reader
) -> list[HoldPublic]:
    return [HoldPublic.of(h) for h in for_clips(session=session, clip_ids=[clip_id])[clip_id]]
