"""The chain-of-custody report of one clip over the API: the same report the court
package carries (`export/custody.py`), for a custodian or auditor to read or print.

    GET /api/v1/clips/{clip_id}/custody.html

Reading it needs `audit.read` (it is the clip's audit trail); the request is
itself audited by the middleware, so the report names its own printing next time.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response

from ingest_server.clips import service as clips
from ingest_server.deps import AuditPrincipal, ContextDep, SessionDep
from ingest_server.errors import ErrorOut
from ingest_server.export import custody
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
