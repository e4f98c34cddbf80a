"""Readable file names for originals: officer (else vehicle), date, time (corrected, UTC), camera.

`B1234_2026-11-24_100002Z_X81234.mp4` instead of `AXON_0019283746.mp4`. Only
letters, digits, '-' and '_' survive from the facts; names are made unique
within one package by a counter suffix. The bytes are never touched.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ingest_server.clips.models import Clip

_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")
_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


def _part(value: str | None, fallback: str) -> str:
    cleaned = _UNSAFE.sub("-", value or "").strip("-")[:40]
    return cleaned or fallback


def safe_part(value: str | None, fallback: str) -> str:
    """`value` reduced to letters, digits and '-' (at most 40): safe in any file name."""
    return _part(value, fallback)


def suffix_of(clip: Clip) -> str:
    suffix = PurePosixPath((clip.original_name or "").replace("\\", "/")).suffix.lower()
    return suffix if _SUFFIX.match(suffix) else ".bin"


def readable_name(clip: Clip) -> str:
    when = clip.corrected_start or clip.camera_start
    stamp = when.strftime("%Y-%m-%d_%H%M%SZ") if when else "undated"
    camera = _part(clip.camera_serial or clip.vehicle_id, "camera")
    recorder = (
        _part(clip.officer_id, "officer-unknown")
        if clip.officer_id
        else (f"vehicle-{_part(clip.vehicle_id, 'unknown')}" if clip.vehicle_id else "officer-unknown")
    )
    return f"{recorder}_{stamp}_{camera}{suffix_of(clip)}"


def unique_names(clips: list[Clip]) -> dict[str, str]:
    """clip id -> a readable name unique among `clips`."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for clip in clips:
        name = readable_name(clip)
        stem, suffix = name[: -len(suffix_of(clip))], suffix_of(clip)
        n = 2
        while name.lower() in taken:
            name, n = f"{stem}_{n}{suffix}", n + 1
        taken.add(name.lower())
        names[clip.id] = name
    return names
