"""A clip's related files (sidecars) on the console: download of one stored file, audited.

The list and the GPS track plot are part of the clip page (pages.py:clip_page,
templates/_related.html). A related file is evidence like the original: the same
permission (`clips.download`, a trooper only for their own clips), served as an
attachment that a browser never renders.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from ingest_server.audit import service as audit
from ingest_server.auth.permissions import Permission
from ingest_server.clips import service as clips
from ingest_server.deps import ContextDep, SessionDep, source_address
from ingest_server.media_types import ORIGINAL_HEADERS
from ingest_server.portal.deps import ConsoleUser, allow
from ingest_server.portal.web import PortalError
from ingest_server.related import service as related_files
from ingest_server.related import track_plot

router = APIRouter(prefix="/portal", include_in_schema=False)


def related_view(*, session, clip_id: str) -> dict:
    """What the clip page shows of the clip's related files and GPS track (templates/_related.html)."""
    sidecar, points = related_files.track_of(session=session, clip_id=clip_id)
    return {
        "related": related_files.of_clip(session=session, clip_id=clip_id),
        "track": track_plot.plot(points),
        "track_sidecar": sidecar,
    }


@router.get("/clips/{clip_id}/related/{related_id}", name="portal.clip_related")
def download_related(
    request: Request, ctx: ContextDep, session: SessionDep, user: ConsoleUser, clip_id: str, related_id: str
):
    allow(request, user, Permission.CLIPS_DOWNLOAD)
    clip = clips.get(session=session, clip_id=clip_id[:32])
    if clip is None or not clips.visible_to(user, clip):
        raise PortalError(404, "No such file", "There is no such related file of a clip you may see.")
    row = related_files.get(session=session, clip_id=clip.id, related_id=related_id)
    if row is None:
        raise PortalError(
            404, "No such file", f"Clip {clip.id} has no stored related file {related_id[:32]}."
        )
    audit.append(
        session=session,
        component="portal",
        event_type="clip.related_downloaded",
        actor=user.label,
        outcome="success",
        object_type="clip",
        object_id=clip.id,
        source=source_address(request),
        detail={"name": row.name, "sha256": row.sha256, "size": row.size, "version_id": row.version_id},
    )
    session.commit()
    chunks, length = ctx.storage.read(row.object_key, row.version_id)
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in PurePosixPath(row.name).name) or "sidecar"
    headers = {
        **ORIGINAL_HEADERS,
        "Content-Length": str(length),
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-SHA256": row.sha256,
    }
    return StreamingResponse(chunks, media_type="application/octet-stream", headers=headers)
