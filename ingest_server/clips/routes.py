"""Custodian API over the clip index: search, one clip, its manifest, its thumbnail,
its original (streamed, with HTTP Range and its SHA-256 in `X-Content-SHA256`), its
audit trail. Thin: HTTP in, service call, HTTP out. Category changes go through the
retention API (retention_apply), which guards shortenings.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query
from fastapi.responses import Response, StreamingResponse

from ingest_server.audit import service as audit_service
from ingest_server.audit.schemas import AuditPage, AuditPublic
from ingest_server.auth.service import Principal
from ingest_server.clips import service
from ingest_server.clips.models import STATES, STORED, Clip
from ingest_server.clips.ranges import RangeNotSatisfiable, parse_range, read_original, unsatisfiable_headers
from ingest_server.clips.schemas import ClipPage, ClipPublic
from ingest_server.deps import (
    AuditPrincipal,
    ContextDep,
    DownloadPrincipal,
    ReadPrincipal,
    SearchPrincipal,
    SessionDep,
)
from ingest_server.errors import ErrorOut
from ingest_server.schemas_common import CLIP_ID_PATTERN, SHA256_PATTERN, When, text

router = APIRouter(prefix="/api/v1/clips", tags=["clips"])
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404, 422)}
ClipId = Annotated[str, Path(pattern=CLIP_ID_PATTERN, description="32 hex digits")]
Filter = Annotated[text(64, 1) | None, Query()]


def _load(session, principal: Principal, clip_id: str) -> Clip:
    clip = service.get(session=session, clip_id=clip_id)
    if clip is None:
        raise HTTPException(404, f"no clip {clip_id}")
    if not service.visible_to(principal, clip):
        raise HTTPException(403, f"forbidden: clip {clip_id} is not one of your clips")
    return clip


@router.get("", name="clips.search", summary="Search clips", response_model=ClipPage, responses=ERRORS)
def search_clips(
    ctx: ContextDep,
    session: SessionDep,
    principal: SearchPrincipal,
    officer_id: Filter = None,
    vehicle_id: Filter = None,
    camera_serial: Filter = None,
    device_id: Filter = None,
    category: Filter = None,
    sha256: Annotated[str | None, Query(pattern=SHA256_PATTERN)] = None,
    state: Annotated[str | None, Query(pattern="^(" + "|".join(STATES) + ")$")] = None,
    recorded_from: Annotated[When | None, Query(description="recording starts at or after")] = None,
    recorded_to: Annotated[When | None, Query(description="recording starts before")] = None,
    limit: Annotated[int | None, Query(ge=1, description="page size (server maximum applies)")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ClipPage:
    settings = ctx.settings
    if limit is not None and limit > settings.max_page_size:
        raise HTTPException(422, f"limit {limit} is above the maximum page size {settings.max_page_size}")
    limit = limit or settings.default_page_size
    where = service.ClipFilter(
        officer_id=officer_id,
        vehicle_id=vehicle_id,
        camera_serial=camera_serial,
        device_id=device_id,
        category=category,
        sha256=sha256,
        state=state,
        recorded_from=recorded_from,
        recorded_to=recorded_to,
    )
    rows, total = service.search(
        session=session, principal=principal, where=where, limit=limit, offset=offset
    )
    return ClipPage(items=[service.public(c) for c in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/{clip_id}", name="clips.get", summary="One clip's metadata", response_model=ClipPublic, responses=ERRORS
)
def get_clip(clip_id: ClipId, session: SessionDep, principal: ReadPrincipal) -> ClipPublic:
    return service.public(_load(session, principal, clip_id))


@router.get(
    "/{clip_id}/manifest",
    name="clips.manifest",
    summary="The clip's manifest (as registered)",
    responses=ERRORS,
)
def get_manifest(clip_id: ClipId, session: SessionDep, principal: ReadPrincipal) -> dict:
    return json.loads(_load(session, principal, clip_id).manifest_json)


@router.get(
    "/{clip_id}/thumbnail",
    name="clips.thumbnail",
    summary="The thumbnail the agent took (a derived image, not evidence)",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"image/jpeg": {}}}},
)
def get_thumbnail(clip_id: ClipId, session: SessionDep, principal: ReadPrincipal) -> Response:
    clip = _load(session, principal, clip_id)
    if not clip.thumbnail_jpeg:
        raise HTTPException(404, f"clip {clip_id} has no thumbnail")
    return Response(clip.thumbnail_jpeg, media_type="image/jpeg")


@router.get(
    "/{clip_id}/original",
    name="clips.download",
    summary="Download the original (HTTP Range)",
    response_class=StreamingResponse,
    responses={
        **ERRORS,
        200: {"content": {"application/octet-stream": {}}},
        206: {"description": "Partial content"},
        409: {"model": ErrorOut},
        416: {"model": ErrorOut},
    },
)
def download(
    clip_id: ClipId,
    ctx: ContextDep,
    session: SessionDep,
    principal: DownloadPrincipal,
    range_header: Annotated[str | None, Header(alias="range", max_length=200)] = None,
):
    clip = _load(session, principal, clip_id)
    if clip.state != STORED:
        raise HTTPException(409, f"clip {clip_id} is {clip.state}, not stored: nothing to download")
    try:
        byte_range = parse_range(range_header, clip.size)
    except RangeNotSatisfiable as exc:
        raise HTTPException(416, str(exc), headers=unsatisfiable_headers(clip.size)) from exc
    chunks, status, headers = read_original(ctx.storage, clip, byte_range)
    headers["Content-Disposition"] = f'attachment; filename="{clip.sha256}"'
    return StreamingResponse(
        chunks, status_code=status, media_type="application/octet-stream", headers=headers
    )


@router.get(
    "/{clip_id}/audit",
    name="clips.audit",
    summary="The clip's audit trail",
    response_model=AuditPage,
    responses=ERRORS,
)
def clip_audit(
    clip_id: ClipId,
    ctx: ContextDep,
    session: SessionDep,
    principal: AuditPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditPage:
    _load(session, principal, clip_id)
    rows, total = audit_service.search(session=session, object_id=clip_id, limit=limit, offset=offset)
    return AuditPage(items=[AuditPublic.of(e) for e in rows], total=total, limit=limit, offset=offset)
