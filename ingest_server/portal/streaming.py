"""Stream an original through the server with HTTP Range, for players and downloads.

The store is never exposed to the browser: every byte passes here, after the
caller has checked who may see it (and, for a share, that it is live). Players
get the clip's media type inline; downloads get a readable file name. Both carry
the SHA-256 of the whole original in `X-Content-SHA256`.
"""

from __future__ import annotations

import mimetypes

from fastapi.responses import StreamingResponse

from ingest_server.clips.models import STORED, Clip
from ingest_server.clips.ranges import RangeNotSatisfiable, parse_range, read_original, unsatisfiable_headers
from ingest_server.export.naming import suffix_of
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


def media_type(clip: Clip) -> str:
    return mimetypes.types_map.get(
        suffix_of(clip), "video/mp4" if clip.container == "mp4" else "application/octet-stream"
    )


def stream(
    storage: Storage, clip: Clip, byte_range: tuple[int, int] | None, *, download_name: str | None = None
) -> StreamingResponse:
    chunks, status, headers = read_original(storage, clip, byte_range)
    headers.update(
        {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
    )
    if download_name:
        headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return StreamingResponse(
        chunks,
        status_code=status,
        media_type="application/octet-stream" if download_name else media_type(clip),
        headers=headers,
    )
