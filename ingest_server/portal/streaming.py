"""Stream an original through the server with HTTP Range, for players and downloads.

The store is never exposed to the browser: every byte passes here, after the
caller has checked who may see it (and, for a share, that it is live). Players
get the media type the server itself read from the bytes (media_types.py), never
one derived from the device's file name; downloads are always an attachment.
Every response carries `X-Content-Type-Options: nosniff` and a CSP `sandbox`, so
even bytes a device crafted to look like a page can never run script in the
console's origin. Both carry the SHA-256 of the whole original in `X-Content-SHA256`.
"""

from __future__ import annotations

from fastapi.responses import StreamingResponse

from ingest_server.clips.models import STORED, Clip
from ingest_server.clips.ranges import RangeNotSatisfiable, parse_range, read_original, unsatisfiable_headers
from ingest_server.media_types import HEAD_BYTES, media_type_of, sniff
from ingest_server.portal.web import PortalError
from ingest_server.storage import Storage


def requested_range(clip: Clip, header: str | None) -> tuple[int, int] | None:
    if clip.state != STORED:
        raise PortalError(
            409, "Not available", f"This clip is {clip.state}, not stored: it cannot be played."
        )
    try:
        return parse_range(header, clip.size)
    except RangeNotSatisfiable as exc:
        raise PortalError(416, "Bad range", str(exc), unsatisfiable_headers(clip.size)) from exc


def media_type(storage: Storage, clip: Clip) -> str:
    """The media type of the container the server read from the bytes (at completion, or now for
    a clip stored before the server recorded it); opaque bytes for anything off the whitelist."""
    name = clip.media_container
    if name is None and clip.size:
        chunks, _ = storage.read(clip.object_key, clip.version_id, (0, min(HEAD_BYTES, clip.size) - 1))
        found = sniff(b"".join(chunks))
        name = found.name if found else None
    return media_type_of(name)


def stream(
    storage: Storage, clip: Clip, byte_range: tuple[int, int] | None, *, download_name: str | None = None
) -> StreamingResponse:
    chunks, status, headers = read_original(storage, clip, byte_range)  # ORIGINAL_HEADERS included
    if download_name:
        headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return StreamingResponse(
        chunks,
        status_code=status,
        media_type="application/octet-stream" if download_name else media_type(storage, clip),
        headers=headers,
    )
