"""The API over a clip's related files (sidecars) and GPS track, for custodians and tools."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel

from ingest_server.clips import service as clips
from ingest_server.deps import ReadPrincipal, SessionDep
from ingest_server.errors import ErrorOut
from ingest_server.related import service
from ingest_server.schemas_common import CLIP_ID_PATTERN

router = APIRouter(prefix="/api/v1/clips", tags=["clips"])
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404, 422)}


class RelatedPublic(BaseModel):
    id: str
    name: str
    kind: str
    size: int
    sha256: str
    object_key: str
    version_id: str | None
    stored_at: datetime | None


class RelatedList(BaseModel):
    items: list[RelatedPublic]
    gps_points: int
    gps_sidecar: str | None


@router.get(
    "/{clip_id}/related",
    name="clips.related",
    summary="A clip's stored related files (sidecars) and the size of its GPS track",
    response_model=RelatedList,
    responses=ERRORS,
)
def related_of(
    clip_id: Annotated[str, Path(pattern=CLIP_ID_PATTERN)], session: SessionDep, principal: ReadPrincipal
):
    clip = clips.get(session=session, clip_id=clip_id)
    if clip is None:
        raise HTTPException(404, f"no clip {clip_id}")
    if not clips.visible_to(principal, clip):
        raise HTTPException(403, f"forbidden: clip {clip_id} is not one of your clips")
    sidecar, points = service.track_of(session=session, clip_id=clip.id)
    rows = service.of_clip(session=session, clip_id=clip.id)
    return {
        "items": [RelatedPublic.model_validate(r, from_attributes=True) for r in rows],
        "gps_points": len(points),
        "gps_sidecar": sidecar,
    }
