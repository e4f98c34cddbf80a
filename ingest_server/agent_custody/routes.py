"""The device's custody-signing key and its signed custody events (device token only).

PUT  /api/v1/devices/me/key                  the device's Ed25519 public key (once; 409 for another)
POST /api/v1/clips/{clip_id}/custody-events  signed events of a clip this device uploaded
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from ingest_server.agent_custody import service
from ingest_server.agent_custody.schemas import CustodyEventsIn, CustodyEventsOut, DeviceKeyIn, DeviceKeyOut
from ingest_server.deps import DevicePrincipal, SessionDep, source_address
from ingest_server.devices import keys
from ingest_server.errors import HTTP_STATUS, ErrorOut
from ingest_server.refusals import Refused
from ingest_server.schemas_common import CLIP_ID_PATTERN

router = APIRouter(prefix="/api/v1", tags=["devices"])
ERRORS = {code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422)}


def _refused(exc: Refused) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=HTTP_STATUS[exc.why])


@router.put(
    "/devices/me/key",
    name="devices.key",
    summary="Register this device's custody-signing public key (Ed25519)",
    response_model=DeviceKeyOut,
    responses=ERRORS,
)
def put_key(body: DeviceKeyIn, request: Request, session: SessionDep, device: DevicePrincipal):
    try:
        key = keys.register(
            session=session, device=device, public_key_pem=body.public_key_pem, source=source_address(request)
        )
    except Refused as exc:
        return _refused(exc)
    return DeviceKeyOut(fingerprint=key.fingerprint, registered_at=key.registered_at.isoformat())


@router.post(
    "/clips/{clip_id}/custody-events",
    name="clips.custody_events",
    summary="Add the car's signed custody events to the clip's audit (idempotent)",
    response_model=CustodyEventsOut,
    responses=ERRORS,
)
def post_events(
    clip_id: Annotated[str, Path(pattern=CLIP_ID_PATTERN)],
    body: CustodyEventsIn,
    request: Request,
    session: SessionDep,
    device: DevicePrincipal,
):
    try:
        done = service.record(
            session=session,
            device=device,
            clip_id=clip_id,
            events=[(e.payload, e.signature) for e in body.events],
            source=source_address(request),
        )
    except Refused as exc:
        return _refused(exc)
    return CustodyEventsOut(recorded=done.recorded, already=done.already)
