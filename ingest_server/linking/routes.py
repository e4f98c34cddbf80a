"""Link API: a clip's reports; link and unlink by hand with a reason (unlinking
that shortens retention waits for a second custodian)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from ingest_server.deps import ContextDep, Reader, SessionDep, Writer, source_address
from ingest_server.linking.schemas import Done, LinkIn
from ingest_server.linking.service import active_links
from ingest_server.reports.schemas import LinkPublic, link_public
from ingest_server.retention_apply import guard
from ingest_server.retention_apply.http import ERRORS, PENDING_RESPONSE, respond, service_errors
from ingest_server.schemas_common import CLIP_ID_PATTERN

router = APIRouter(tags=["links"])
ClipId = Annotated[str, Path(pattern=CLIP_ID_PATTERN, description="32 hex digits")]


@router.get(
    "/api/v1/clips/{clip_id}/reports",
    name="links.of_clip",
    summary="The reports a clip is linked to",
    response_model=list[LinkPublic],
    responses=ERRORS,
)
def clip_reports(clip_id: ClipId, session: SessionDep, who: Reader, include_unlinked: bool = False):
    rows = active_links(session=session, clip_id=clip_id)
    return [link_public(link, r) for link, r in rows if include_unlinked or link.unlinked_at is None]


@router.post(
    "/api/v1/links",
    name="links.create",
    summary="Link a clip to a report by hand (audited)",
    status_code=201,
    response_model=Done,
    responses=ERRORS,
)
def link(body: LinkIn, request: Request, ctx: ContextDep, session: SessionDep, who: Writer):
    with service_errors():
        outcome = guard.run(
            ctx=ctx,
            session=session,
            kind="link",
            params=body.model_dump(),
            requester_id=who.id,
            requester=who.label,
            description=f"link clip {body.clip_id} to report {body.report_id}: {body.reason}",
            source=source_address(request),
        )
    return respond(
        outcome, lambda _: Done(detail=f"clip {body.clip_id} linked to report {body.report_id}"), 201
    )


@router.post(
    "/api/v1/links/unlink",
    name="links.remove",
    summary="Unlink a clip from a report (may need approval)",
    response_model=Done,
    responses={**ERRORS, **PENDING_RESPONSE},
)
def unlink(body: LinkIn, request: Request, ctx: ContextDep, session: SessionDep, who: Writer):
    with service_errors():
        outcome = guard.run(
            ctx=ctx,
            session=session,
            kind="unlink",
            params=body.model_dump(),
            requester_id=who.id,
            requester=who.label,
            description=f"unlink clip {body.clip_id} from report {body.report_id}: {body.reason}",
            source=source_address(request),
        )
    return respond(
        outcome, lambda _: Done(detail=f"clip {body.clip_id} unlinked from report {body.report_id}")
    )
