"""HTTP Range for originals (one range; RFC 9110 byte ranges): parsing, and the
one place that reads the bytes and says what status and headers carry them. The
API download (clips/routes.py) and the portal's players and downloads
(portal/streaming.py) both answer from `read_original`.

Digits are ASCII only: `str.isdigit` also accepts superscripts and other scripts'
digits, some of which `int` cannot read (that was a 500).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ingest_server.clips.models import Clip
from ingest_server.media_types import ORIGINAL_HEADERS
from ingest_server.storage import Storage

_SPEC = re.compile(r"([0-9]*)-([0-9]*)", re.ASCII)
_MAX_DIGITS = 19  # more than any object's size; longer is refused rather than parsed


class RangeNotSatisfiable(ValueError):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte range asked for, or None for the whole object."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        raise RangeNotSatisfiable("only a single 'bytes=' range is supported")
    match = _SPEC.fullmatch(spec.strip())
    if match is None or not any(match.groups()) or max(map(len, match.groups())) > _MAX_DIGITS:
        raise RangeNotSatisfiable(f"malformed range {header[:80]!r}")
    first_s, last_s = match.groups()
    if size == 0:
        raise RangeNotSatisfiable("the object is empty")
    if not first_s:  # suffix: the last N bytes
        length = int(last_s)
        if length == 0:
            raise RangeNotSatisfiable("an empty suffix range selects nothing")
        return max(0, size - length), size - 1
    first = int(first_s)
    last = min(int(last_s), size - 1) if last_s else size - 1
    if first >= size or last < first:
        raise RangeNotSatisfiable(f"range {header!r} is outside 0..{size - 1}")
    return first, last


def unsatisfiable_headers(size: int) -> dict[str, str]:
    """The headers of a 416 answer: the size of what could have been asked for."""
    return {"Content-Range": f"bytes */{size}"}


def read_original(
    storage: Storage, clip: Clip, byte_range: tuple[int, int] | None
) -> tuple[Iterator[bytes], int, dict[str, str]]:
    """The bytes of the original (or the range), the status (200 or 206) and the Range headers.

    Every answer carries the SHA-256 of the whole original in `X-Content-SHA256`, and
    `ORIGINAL_HEADERS` (nosniff, CSP sandbox, no-store, no-referrer): whatever bytes a device
    sent, a browser never runs them in the server's origin.
    """
    return read_object(
        storage,
        key=clip.object_key,
        version_id=clip.version_id,
        size=clip.size,
        sha256=clip.sha256,
        byte_range=byte_range,
    )


def read_object(
    storage: Storage,
    *,
    key: str,
    version_id: str | None,
    size: int,
    sha256: str,
    byte_range: tuple[int, int] | None,
) -> tuple[Iterator[bytes], int, dict[str, str]]:
    """Any stored object (an original or a derived copy) with the Range answer's status and
    headers: `X-Content-SHA256` of the whole object and `ORIGINAL_HEADERS`."""
    chunks, length = storage.read(key, version_id, byte_range)
    headers = {
        "X-Content-SHA256": sha256,
        "Accept-Ranges": "bytes",
        "Content-Length": str(length),
        **ORIGINAL_HEADERS,
    }
    if byte_range:
        headers["Content-Range"] = f"bytes {byte_range[0]}-{byte_range[1]}/{size}"
    return chunks, 206 if byte_range else 200, headers
