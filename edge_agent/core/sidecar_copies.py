"""A clip's sidecar copies in the spool (journal metadata `sidecar_copies`, written by the
offloader): what the register call declares of them, the GPS track read from them, and which
spool copies a receipt covers (only those may go, after the grace period).

Pure: a `ClipRow` in, JSON-ready data out.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import PurePosixPath

from edge_agent.core.journal import ClipRow

KINDS = {".json": "json", ".xml": "xml", ".csv": "csv", ".gpx": "gps", ".nmea": "gps", ".gps": "gps"}
MAX_TRACK_POINTS = 10_000  # the server's limit; a longer track is thinned evenly


def copies(row: ClipRow) -> list[dict]:
    return list(row.metadata.get("sidecar_copies") or [])


def kind_of(relpath: str) -> str:
    return KINDS.get(PurePosixPath(relpath.replace("\\", "/")).suffix.lower(), "other")


def declared(row: ClipRow) -> list[dict]:
    """The register call's `related`: one entry per sidecar copied and hashed into the spool."""
    return [
        {"name": c["relpath"], "size": c["size"], "sha256": c["sha256"], "kind": kind_of(c["relpath"])}
        for c in copies(row)
    ]


def _dated(point) -> bool:
    """A point the server can take: its time has a time zone (the server refuses naive times)."""
    try:
        return datetime.fromisoformat(point[0]).tzinfo is not None
    except (TypeError, ValueError, IndexError):
        return False


def gps_track(row: ClipRow) -> dict | None:
    """The register call's `gps_track`: the points the profile read with a time zone, thinned to
    the limit. A track is a reading of the sidecar, never a reason to hold the clip back."""
    points = [p for p in row.metadata.get("gps") or [] if _dated(p)]
    if not points:
        return None
    step = max(1, -(-len(points) // MAX_TRACK_POINTS))
    kept = points[::step]
    if kept[-1] is not points[-1]:
        kept = kept[: MAX_TRACK_POINTS - 1] + [points[-1]]
    names = [c["relpath"] for c in copies(row)]
    return {
        "sidecar": names[0] if len(names) == 1 else None,
        "points": [{"time": t, "lat": lat, "lon": lon} for t, lat, lon in kept],
    }


def covered_by_receipt(row: ClipRow) -> list[str]:
    """Spool paths of the sidecar copies the clip's receipt lists by name and SHA-256."""
    if not row.receipt_json:
        return []
    body = json.loads(row.receipt_json).get("receipt", {})
    receipted = {(r.get("name"), r.get("sha256")) for r in body.get("related") or []}
    return [c["spool_path"] for c in copies(row) if (c["relpath"], c["sha256"]) in receipted]
