"""Upload endpoints for devices, and the receipt public key for anyone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from hashing import ManifestError
from hashing import manifest as manifest_io
from ingest_server.deps import ContextDep, DevicePrincipal, SessionDep, source_address
from ingest_server.errors import HTTP_STATUS, ErrorOut
from ingest_server.schemas_common import CLIP_ID_PATTERN
from ingest_server.uploads import complete as complete_service
from ingest_server.uploads import related as related_service
from ingest_server.uploads.errors import UploadRefused
from ingest_server.uploads.schemas import CompleteIn, KeyOut, MismatchOut, Receipt, RegisterIn, RegisterOut

router = APIRouter(prefix="/api/v1", tags=["uploads"])
ERRORS = {code: {"model": ErrorOut} for code in (401, 403, 404, 413, 422)}


def refused(exc: UploadRefused) -> JSONResponse:
    wait = exc.extra.get("retry_after")
    headers = {"Retry-After": str(wait)} if wait is not None else None
    return JSONResponse(
        {"detail": exc.detail, **exc.extra}, status_code=HTTP_STATUS[exc.why], headers=headers
    )


@router.post(
    "/uploads/register",
    name="uploads.register",
    summary="Register a clip and get part URLs",
    response_model=RegisterOut,
    responses=ERRORS,
)
def register(
    body: RegisterIn, request: Request, ctx: ContextDep, session: SessionDep, device: DevicePrincipal
):
    try:
        manifest = manifest_io.from_dict(body.manifest.model_dump())
    except ManifestError as exc:
        return JSONResponse({"detail": f"manifest refused: {exc}"}, status_code=422)
    try:
        return related_service.register_with_related(
            ctx=ctx,
            session=session,
            device=device,
            manifest=manifest,
            metadata=body.metadata,
            related=body.related,
            gps_track=body.gps_track,
            source=source_address(request),
        )
    except UploadRefused as exc:
        return refused(exc)


@router.post(
    "/uploads/{clip_id}/complete",
    name="uploads.complete",
    summary="Complete an upload: verify against the manifest, lock, index, sign a receipt",
    response_model=Receipt,
    responses={**ERRORS, 409: {"model": MismatchOut}},
)
def complete(
    clip_id: Annotated[str, Path(pattern=CLIP_ID_PATTERN)],
    body: CompleteIn,
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    device: DevicePrincipal,
):
    try:
        return complete_service.complete(
            ctx=ctx,
            session=session,
            device=device,
            clip_id=clip_id,
            parts=[(p.part_number, p.etag) for p in body.parts],
            source=source_address(request),
        )
    except UploadRefused as exc:
        return refused(exc)


@router.get(
    "/receipt-key",
    name="receipts.key",
    summary="The public key that verifies receipts",
    response_model=KeyOut,
)
def receipt_key(ctx: ContextDep) -> KeyOut:
    return KeyOut(
        key_id=ctx.signer.key_id, public_key_pem=ctx.signer.public_key_pem, fingerprint=ctx.signer.fingerprint
    )
