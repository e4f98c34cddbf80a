"""Register: a device declares a clip (manifest + metadata) and gets presigned part URLs.

Idempotent on (device, sha256): the same clip comes back (each distinct source
recorded as its own sighting: uploads/sightings.py), with the parts the store
already holds marked present so the agent resumes; a stored clip comes back with
its receipt; one being verified comes back `verifying` with no parts and a
`retry_after` (ask `complete`, never PUT); a rejected one (or one whose upload
vanished) gets a fresh upload.
Whatever this starts in the store is aborted if registering fails afterwards.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from contextlib import ExitStack
from datetime import timedelta
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hashing import Manifest, part_checksum_b64, part_range
from ingest_server.auth.service import Principal
from ingest_server.clips.models import STORED, UPLOADING, VERIFYING, Clip
from ingest_server.context import ServerContext
from ingest_server.refusals import Why
from ingest_server.types import new_id
from ingest_server.uploads import sightings
from ingest_server.uploads.errors import UploadRefused
from ingest_server.uploads.events import clip_event
from ingest_server.uploads.schemas import MetadataIn

_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")
_FACTS = (
    "camera_serial",
    "officer_id",
    "vehicle_id",
    "profile",
    "original_name",
    "camera_start",
    "camera_end",
    "corrected_start",
    "corrected_end",
    "clock_offset_seconds",
    "clock_offset_uncertainty_seconds",
    "duration_seconds",
    "container",
    "codec",
    "width",
    "height",
    "fps",
    "has_audio",
)


def check_limits(ctx: ServerContext, manifest: Manifest, metadata: MetadataIn) -> bytes | None:
    settings = ctx.settings
    if manifest.size > settings.max_clip_bytes:
        raise UploadRefused(
            Why.TOO_LARGE, f"clip of {manifest.size} bytes is above the limit {settings.max_clip_bytes}"
        )
    if len(manifest.parts) > 1 and manifest.part_size < settings.min_part_size:
        raise UploadRefused(
            Why.INVALID,
            f"part_size {manifest.part_size} is below the store's minimum "
            f"{settings.min_part_size} for a multipart object",
        )
    if metadata.thumbnail_jpeg_b64 is None:
        return None
    try:
        thumbnail = base64.b64decode(metadata.thumbnail_jpeg_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UploadRefused(Why.INVALID, "thumbnail_jpeg_b64 is not valid base64") from exc
    if len(thumbnail) > settings.max_thumbnail_bytes:
        raise UploadRefused(
            Why.TOO_LARGE, f"thumbnail of {len(thumbnail)} bytes is above {settings.max_thumbnail_bytes}"
        )
    return thumbnail


def object_key(clip_id: str, sha256: str, original_name: str) -> str:
    suffix = PurePosixPath(original_name.replace("\\", "/")).suffix
    return f"originals/{clip_id}/{sha256}{suffix.lower() if _SUFFIX.match(suffix) else ''}"


def _apply_metadata(clip: Clip, metadata: MetadataIn, thumbnail: bytes | None, device: Principal) -> None:
    for field in _FACTS:
        setattr(clip, field, getattr(metadata, field))
    clip.vehicle_id = metadata.vehicle_id or device.vehicle_id
    if metadata.clock_offset_seconds is not None:  # offset = camera clock - true time, at the dock
        offset = timedelta(seconds=metadata.clock_offset_seconds)
        for raw, corrected in (("camera_start", "corrected_start"), ("camera_end", "corrected_end")):
            if getattr(clip, corrected) is None and getattr(clip, raw) is not None:
                setattr(clip, corrected, getattr(clip, raw) - offset)
    clip.flags_json = json.dumps(metadata.flags)
    clip.thumbnail_jpeg = thumbnail


def _set_manifest(clip: Clip, manifest: Manifest) -> None:
    clip.sha256, clip.size, clip.part_size = manifest.sha256, manifest.size, manifest.part_size
    clip.composite, clip.manifest_json = manifest.composite, manifest.dumps()


def _held(stored: tuple[int, str | None] | None, size: int, checksum: str) -> bool:
    """The store holds this part: right size, and the right checksum when the store lists one
    (some stores do not; the completion check catches wrong bytes either way)."""
    return stored is not None and stored[0] == size and stored[1] in (None, checksum)


def part_urls(
    ctx: ServerContext, clip: Clip, manifest: Manifest, present: dict[int, tuple[int, str | None]]
) -> list[dict]:
    out = []
    for number, hex_digest in enumerate(manifest.parts, start=1):
        start, end = part_range(number, manifest.size, manifest.part_size)
        checksum = part_checksum_b64(hex_digest)
        url = ctx.storage.presign_part(
            clip.object_key, clip.upload_id, number, checksum, ctx.settings.presign_expiry_seconds
        )
        out.append(
            {
                "part_number": number,
                "url": url,
                "checksum_sha256": checksum,
                "present": _held(present.get(number), end - start, checksum),
            }
        )
    return out


def _response(clip: Clip, parts: list[dict], retry_after: int | None = None) -> dict:
    return {
        "clip_id": clip.id,
        "upload_id": clip.upload_id,
        "object_key": clip.object_key,
        "part_size": clip.part_size,
        "state": clip.state if clip.state in (STORED, VERIFYING) else UPLOADING,
        "parts": parts,
        "receipt": json.loads(clip.receipt_json) if clip.receipt_json else None,
        "retry_after": retry_after,
    }


def register(
    *,
    ctx: ServerContext,
    session: Session,
    device: Principal,
    manifest: Manifest,
    metadata: MetadataIn,
    source: str | None,
    _retry: bool = True,
) -> dict:
    thumbnail = check_limits(ctx, manifest, metadata)
    clip = session.execute(
        select(Clip).where(Clip.device_id == device.id, Clip.sha256 == manifest.sha256)
    ).scalar_one_or_none()
    if clip is not None:  # the same bytes again: this source's sighting is never dropped
        sightings.note(ctx=ctx, session=session, clip=clip, device=device, metadata=metadata, source=source)
    session.commit()  # no database lock held across store calls
    if clip is not None and clip.state == STORED:
        return _response(clip, [])
    if clip is not None and clip.state == VERIFYING:
        # Assembled in the store (the multipart upload is finished: a part PUT would be
        # refused), checks unfinished: `complete` finishes them against the manifest
        # registered first, or says another completion is at it. Nothing to upload.
        return _response(clip, [], retry_after=ctx.settings.completion_retry_after_seconds)
    if clip is not None and clip.state == UPLOADING and clip.manifest_json == manifest.dumps():
        present = ctx.storage.uploaded_parts(clip.object_key, clip.upload_id) if clip.upload_id else None
        if present is not None:
            return _response(clip, part_urls(ctx, clip, manifest, present))
    with ExitStack() as cleanup:
        fresh = clip is None
        if fresh:
            clip = Clip(id=new_id(), device_id=device.id)
            clip.object_key = object_key(clip.id, manifest.sha256, metadata.original_name)
        elif clip.upload_id and clip.state == UPLOADING:
            ctx.storage.abort(clip.object_key, clip.upload_id)  # manifest changed: start over
        upload_id = ctx.storage.create_upload(clip.object_key, manifest.sha256, clip.id)
        cleanup.callback(ctx.storage.abort, clip.object_key, upload_id)
        previous = clip.state if not fresh else None
        _set_manifest(clip, manifest)
        _apply_metadata(clip, metadata, thumbnail, device)
        clip.upload_id, clip.state, clip.version_id, clip.rejection = upload_id, UPLOADING, None, None
        parts = part_urls(ctx, clip, manifest, {})
        session.add(clip)
        try:
            session.flush()
        except (IntegrityError, StaleDataError):
            session.rollback()
            if not _retry:
                raise
            cleanup.close()  # abort our upload; the concurrent registration won
            return register(
                ctx=ctx,
                session=session,
                device=device,
                manifest=manifest,
                metadata=metadata,
                source=source,
                _retry=False,
            )
        clip_event(
            session=session,
            device=device,
            clip=clip,
            event_type="clip.registered",
            outcome="success",
            source=source,
            detail={
                "sha256": manifest.sha256,
                "size": manifest.size,
                "parts": len(manifest.parts),
                "upload_id": upload_id,
                "previous_state": previous,
                "original_name": metadata.original_name,
            },
        )
        if fresh:
            sightings.add(session=session, clip=clip, device=device, metadata=metadata, source=source)
        session.commit()
        cleanup.pop_all()
    return _response(clip, parts)
