"""Derived copies and public records requests as JSON, read-only (the console's pages have the
actions). Who may read: `derived.read` and `records_requests.read` in `auth/permissions.py:TABLE`;
every request is an audit event (`audit/middleware.py`), on the clip, copy or request it names."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import Response
from pydantic import BaseModel

from ingest_server.auth.permissions import Permission
from ingest_server.auth.service import Principal
from ingest_server.clips.models import Clip
from ingest_server.deps import ContextDep, SessionDep, require
from ingest_server.derived import records, service
from ingest_server.derived.models import OPEN, DerivedObject, RecordsRequest
from ingest_server.derived.schemas import (
    DerivedDetail,
    DerivedList,
    DerivedOut,
    RecordsRequestDetail,
    RecordsRequestList,
    RecordsRequestOut,
    RequestClip,
)
from ingest_server.errors import HTTP_STATUS, ErrorOut
from ingest_server.schemas_common import CLIP_ID_PATTERN

router = APIRouter(prefix="/api/v1")
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404, 422)}
Id = Annotated[str, Path(pattern=CLIP_ID_PATTERN, description="32 hex digits")]
DerivedReader = Annotated[Principal, Depends(require(Permission.DERIVED_READ))]
RequestReader = Annotated[Principal, Depends(require(Permission.RECORDS_REQUESTS_READ))]
DERIVED, REQUESTS = ["derived copies"], ["records requests"]


def _found(call):
    try:
        return call()
    except service.DerivedError as exc:
        raise HTTPException(HTTP_STATUS[exc.why], str(exc)) from exc


def _columns(row, model: type[BaseModel]) -> dict:
    """The row's values of the model's fields that are columns (the rest the caller adds)."""
    return {f: getattr(row, f) for f in model.model_fields if hasattr(type(row), f)}


def _derived(row: DerivedObject) -> dict:
    return {**_columns(row, DerivedOut), "provenance_url": f"/api/v1/derived/{row.id}/provenance"}


@router.get(
    "/clips/{clip_id}/derived",
    name="derived.of_clip",
    tags=DERIVED,
    summary="A clip's derived copies (redacted and signed), oldest first, deleted ones included",
    response_model=DerivedList,
    responses=ERRORS,
)
def of_clip(clip_id: Id, session: SessionDep, who: DerivedReader) -> DerivedList:
    if session.get(Clip, clip_id) is None:
        raise HTTPException(404, f"no clip {clip_id}")
    rows = service.of_clip(session=session, clip_id=clip_id)
    return DerivedList(clip_id=clip_id, items=[DerivedOut(**_derived(r)) for r in rows])


@router.get(
    "/derived/{derived_id}",
    name="derived.get",
    tags=DERIVED,
    summary="One derived copy with its provenance record",
    response_model=DerivedDetail,
    responses=ERRORS,
)
def get_derived(derived_id: Id, session: SessionDep, who: DerivedReader) -> DerivedDetail:
    row = _found(lambda: service.get_derived(session=session, derived_id=derived_id))
    return DerivedDetail(**_derived(row), provenance=json.loads(row.provenance_json))


@router.get(
    "/derived/{derived_id}/provenance",
    name="derived.provenance",
    tags=DERIVED,
    summary="The provenance record's exact bytes (their sha256 is the copy's provenance_sha256)",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"application/json": {}}}},
)
def provenance(derived_id: Id, session: SessionDep, who: DerivedReader) -> Response:
    row = _found(lambda: service.get_derived(session=session, derived_id=derived_id))
    return Response(row.provenance_json.encode("utf-8"), media_type="application/json")


def _request(session, row: RecordsRequest, now) -> dict:
    left = (row.due_at - now).total_seconds()
    return {
        **_columns(row, RecordsRequestOut),
        "seconds_left": left,
        "overdue": row.state == OPEN and left < 0,
        "clip_ids": records.clip_ids_of(session=session, request_id=row.id),
    }


@router.get(
    "/records-requests",
    name="records_requests.open",
    tags=REQUESTS,
    summary="Open public records requests, soonest due first, with the time left",
    response_model=RecordsRequestList,
    responses=ERRORS,
)
def open_requests(ctx: ContextDep, session: SessionDep, who: RequestReader) -> RecordsRequestList:
    now = ctx.clock()
    rows = records.open_by_time_left(session=session, now=now)
    return RecordsRequestList(items=[RecordsRequestOut(**_request(session, r, now)) for r, _ in rows])


@router.get(
    "/records-requests/{request_id}",
    name="records_requests.get",
    tags=REQUESTS,
    summary="One records request: its clips, each with its released copy if any",
    response_model=RecordsRequestDetail,
    responses=ERRORS,
)
def get_request(
    request_id: Id, ctx: ContextDep, session: SessionDep, who: RequestReader
) -> RecordsRequestDetail:
    row = _found(lambda: records.get(session=session, request_id=request_id))
    clips = [
        RequestClip(
            clip_id=clip_id,
            released_copy_id=copy.id if copy else None,
            released_copy_sha256=copy.sha256 if copy else None,
        )
        for clip_id, copy in records.readiness(session=session, request_id=row.id)
    ]
    return RecordsRequestDetail(**_request(session, row, ctx.clock()), clips=clips)
