"""What a person reads about a clip: its flags in words, and who recorded it.

Pure functions of the index row, used by every page and report that shows a
clip (console, review pages, share pages, custody reports), so a truncated clip
says so everywhere and a dashcam clip is labelled by its vehicle, never
"None" or "?".

    clip_flags(clip)                  -> ["truncated", ...]   (the stored flags)
    flag_words(["truncated"])         -> ["Truncated: the file ends before ..."]
    recorded_by(clip)                 -> "B1234" | "vehicle V17" | "unknown"
"""

from __future__ import annotations

import json

# One sentence per flag the agent sets (edge_agent/core/media_probe.py, offload, capture).
FLAG_WORDS = {
    "truncated": "Truncated: the file ends before the recording did (the camera stopped writing it); "
    "it may not play, the bytes are kept exactly as they left the camera",
    "unplayable": "Unplayable: no video frame could be decoded from this file",
    "partial_segment": "Partial segment: the dashcam recorder stopped in the middle of this segment",
    "event": "Event: marked as an event on the camera",
}
# Flags that mean "the footage itself is damaged": shown as a warning, not a note.
WARNING_FLAGS = frozenset({"truncated", "unplayable", "partial_segment"})


def clip_flags(clip) -> list[str]:
    """The flags stored with `clip` (a Clip row or anything with `flags_json` or `flags`)."""
    flags = getattr(clip, "flags", None)
    if flags is None:
        try:
            flags = json.loads(getattr(clip, "flags_json", None) or "[]")
        except ValueError:
            return []
    return [str(f) for f in flags] if isinstance(flags, list) else []


def flag_words(flags: list[str]) -> list[str]:
    return [FLAG_WORDS.get(f, f"Flag: {f}") for f in flags]


def warnings(clip) -> list[str]:
    """The sentences of `clip`'s damage flags (truncated, unplayable, partial segment)."""
    return flag_words([f for f in clip_flags(clip) if f in WARNING_FLAGS])


def notes(clip) -> list[str]:
    """The sentences of `clip`'s other flags (an event mark)."""
    return flag_words([f for f in clip_flags(clip) if f not in WARNING_FLAGS])


def short_flags(clip) -> str:
    """ "truncated, unplayable" for a list column; "" when the clip has no flag."""
    return ", ".join(clip_flags(clip))


def recorded_by(clip) -> str:
    """The officer, else the vehicle (a dashcam), else "unknown"."""
    if getattr(clip, "officer_id", None):
        return clip.officer_id
    if getattr(clip, "vehicle_id", None):
        return f"vehicle {clip.vehicle_id}"
    return "unknown"


def file_label(clip) -> str | None:
    """The recorder for a file name: officer id, else the vehicle id (None when neither)."""
    return getattr(clip, "officer_id", None) or getattr(clip, "vehicle_id", None)
