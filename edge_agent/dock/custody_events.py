"""The custody events of a clip's time on a docked camera: docked, camera clock read, copy started.

Recorded (`Journal.custody_log.add`) as the offloader starts copying a clip, each
with the car's time of the moment itself: when the camera docked, when its clock
file was read, and now. A clip copied again after a failed attempt gets a second
"copy started"; a dock is recorded once per clip and dock (core/custody.py).
"""

from __future__ import annotations

from edge_agent.core.custody import Kind
from edge_agent.core.journal import now_iso
from edge_agent.dock.scan import SourceFile
from edge_agent.dock.volume import DockedVolume

CLOCK_FIELDS = (
    "offset_seconds",
    "uncertainty_seconds",
    "camera_clock",
    "written_at",
    "reference",
    "resolution_seconds",
    "read_gap_seconds",
)


def before_copy(volume: DockedVolume, f: SourceFile) -> list[tuple[str, str, dict]]:
    """(kind, car time, details) for the clip `f` of `volume`, about to be copied."""
    camera = {"camera_serial": volume.device_serial, "profile": volume.profile.name, "label": volume.label}
    events: list[tuple[str, str, dict]] = [(Kind.DOCKED, volume.docked_at.isoformat(), camera)]
    if volume.clock is not None:
        clock = {k: volume.clock.get(k) for k in CLOCK_FIELDS}
        events.append(
            (Kind.CLOCK_READ, volume.clock["read_at"], {**clock, "camera_serial": volume.device_serial})
        )
    copy = {
        "relpath": f.relpath,
        "size": f.size,
        "mtime_ns": f.mtime_ns,
        "camera_serial": volume.device_serial,
    }
    events.append((Kind.COPY_STARTED, now_iso(), copy))
    return events
