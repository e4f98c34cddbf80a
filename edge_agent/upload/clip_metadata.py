"""A journaled clip's metadata in the shape the server's register call takes (for the uploader).

Pure: a `ClipRow` (and the vehicle id) in, a dict out. Times: the camera's raw
start is kept as the camera said it; corrected times subtract the clock offset
measured at dock time (offset = camera clock - agent clock, so true time =
camera time - offset). A UVC segment is timed by the agent's own clock, so its
raw and corrected times are the same. Each row sends its own journal source key
and relative path: the server records each source of the same bytes as its own
sighting (docs/ingest_server.md, "Sightings").
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from pathlib import Path

from edge_agent.core.journal import ClipRow


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def register_metadata(row: ClipRow, *, vehicle_id: str | None = None, thumbnail: bool = True) -> dict:
    meta = row.metadata
    probe = meta.get("probe", {})
    duration = probe.get("duration_seconds")
    if row.kind == "segment":
        start = _parse(meta.get("uvc", {}).get("started_at"))
        end = _parse(meta.get("uvc", {}).get("ended_at"))
    else:
        start = _parse(meta.get("camera_start"))
        end = None
    if start and end is None and duration:
        end = start + timedelta(seconds=duration)
    offset = timedelta(seconds=row.clock_offset_seconds or 0.0)
    serial = meta.get("device_serial") or row.device_serial
    if serial and serial.startswith("volume:"):
        serial = None  # the volume's folder name, not a serial the camera reported
    thumb = None
    if thumbnail and meta.get("thumbnail"):
        try:
            thumb = base64.b64encode(Path(meta["thumbnail"]).read_bytes()).decode("ascii")
        except OSError:
            thumb = None
    return {
        "camera_serial": serial,
        "officer_id": meta.get("officer_id"),
        "vehicle_id": vehicle_id,
        "profile": row.profile,
        "original_name": meta.get("original_name") or row.relpath,
        # this source of the bytes: a second journal row with the same sha256 (a hard link,
        # another camera) is its own sighting on the server, a retry of this row is not
        "source_key": row.source_key,
        "source_relpath": row.relpath,
        "camera_start": _iso(start),
        "camera_end": _iso(end),
        "corrected_start": _iso(start - offset) if start else None,
        "corrected_end": _iso(end - offset) if end else None,
        "clock_offset_seconds": row.clock_offset_seconds,
        "clock_offset_uncertainty_seconds": (meta.get("clock") or {}).get("uncertainty_seconds"),
        "duration_seconds": duration,
        "container": probe.get("container"),
        "codec": probe.get("codec"),
        "width": probe.get("width"),
        "height": probe.get("height"),
        "fps": probe.get("fps"),
        "has_audio": probe.get("has_audio"),
        "flags": row.flags,
        "thumbnail_jpeg_b64": thumb,
    }
