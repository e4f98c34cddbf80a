"""The chain-of-custody report of one clip over the API: the same report the court
package carries (`export/custody.py`), for a custodian or auditor to read or print.

    GET /api/v1/clips/{clip_id}/custody.html
    GET /api/v1/clips/{clip_id}/custody.pdf?paper=a4|letter

Reading it needs `audit.read` (it is the clip's audit trail); the request is
itself audited by the middleware, so the report names its own printing next time.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response

from ingest_server.clips import service as clips
from ingest_server.deps import AuditPrincipal, ContextDep, SessionDep
from ingest_server.errors import ErrorOut
from ingest_server.export import custody, custody_pdf
from ingest_server.export.naming import readable_name
from ingest_server.schemas_common import CLIP_ID_PATTERN

router = APIRouter(prefix="/api/v1/clips", tags=["clips"])
ERRORS = {code: {"model": ErrorOut} for code in (401, 403, 404, 422)}
ClipId = Annotated[str, Path(pattern=CLIP_ID_PATTERN, description="32 hex digits")]


def _clip(session, clip_id: str):
    clip = clips.get(session=session, clip_id=clip_id)
    if clip is None:
        raise HTTPException(404, f"no clip {clip_id}")
    return clip


@router.get(
    "/{clip_id}/custody.html",
    name="clips.custody_html",
    summary="The clip's chain-of-custody report (HTML, printable)",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"text/html": {}}}},
)
def custody_html(
    clip_id: ClipId, ctx: ContextDep, session: SessionDep, principal: AuditPrincipal
) -> Response:
    clip = _clip(session, clip_id)
    events = custody.trail(session=session, clip_id=clip.id)
    page = custody.to_html(
        clip, events, file_name=readable_name(clip), generated_at=ctx.clock(), exporter=principal.label
    )
    return Response(page, media_type="text/html; charset=utf-8")


@router.get(
    "/{clip_id}/custody.pdf",
    name="clips.custody_pdf",
    summary="The clip's chain-of-custody report (PDF, A4 or Letter)",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"application/pdf": {}}}},
)
def custody_pdf_report(
    clip_id: ClipId,
    ctx: ContextDep,
    session: SessionDep,
    principal: AuditPrincipal,
    paper: Annotated[Literal["a4", "letter"], Query()] = "a4",
) -> Response:
    clip = _clip(session, clip_id)
    data, name = custody_pdf.clip_report(
        clip, session=session, generated_at=ctx.clock(), exporter=principal.label, paper=paper
    )
    return pdf_response(data, name)


def pdf_response(data: bytes, name: str) -> Response:
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
