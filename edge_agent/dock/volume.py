"""A docked volume as the agent sees it: its profile, device serial and camera clock offset.

`prepare_volume` matches a mounted folder tree to a firmware profile and measures
the camera clock offset (camera clock minus agent clock) at dock time, once: the
server keeps both raw and corrected times. The offset is taken against the moment
the camera wrote its clock (the profile says when: the clock file's modification
time, or the moment it is read), with its uncertainty (`measure_clock`). A volume no profile recognises is not
offloaded by the service (it may be any USB stick); a manual `offload` can force
`AnyVideoProfile`, which takes every video file by its extension.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from edge_agent.core.live_status import RuntimeStatus
from edge_agent.core.profile import ReleaseAction, VolumeProfile
from edge_agent.dock.scan import Skipped
from firmware_profiles import match_volume, read_clip_metadata, read_volume_info, volume_label, volume_usb_ids

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".ts", ".mts", ".3gp"}


class AnyVideoProfile:
    """Stand-in profile for a folder no profile matches: every video file is a clip, no sidecars."""

    name = "any-video"
    kind = "mass_storage"
    description = "Every file with a video extension; no sidecars, no metadata (manual offload only)."
    release: ReleaseAction = "keep"  # nothing proves what such a folder is: its files stay
    release_move_to: str | None = None
    release_full_rehash = False

    def is_clip(self, relpath: PurePosixPath) -> bool:
        return relpath.suffix.lower() in VIDEO_SUFFIXES

    def sidecars_for(self, relpath: PurePosixPath) -> list[PurePosixPath]:
        return []


@dataclass
class DockedVolume:
    root: Path
    profile: VolumeProfile  # firmware_profiles.Profile or AnyVideoProfile
    device_serial: str | None
    label: str | None = None
    clock_offset_seconds: float | None = None
    clock: dict | None = None  # the measurement behind the offset (`ClockReading.as_dict`)
    docked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    warnings: list[str] = field(default_factory=list)

    @property
    def serial_key(self) -> str:
        """The device part of a source key: the serial, else the volume's folder name."""
        return self.device_serial or f"volume:{self.root.name}"

    def clip_metadata(self, relpath: PurePosixPath) -> dict:
        """The profile's metadata for a clip as JSON-ready data; a bad sidecar gives warnings only."""
        if isinstance(self.profile, AnyVideoProfile):
            return {"warnings": [], "sidecars": []}
        try:
            meta = read_clip_metadata(self.profile, self.root, relpath)
        except Exception as exc:  # a broken sidecar never stops evidence from being offloaded
            return {"warnings": [f"metadata unreadable: {exc}"], "sidecars": []}
        return {
            "officer_id": meta.officer_id,
            "device_serial": meta.device_serial,
            "camera_start": meta.camera_start.isoformat() if meta.camera_start else None,
            "event": bool(meta.event),
            "gps": [[t.isoformat(), lat, lon] for t, lat, lon in meta.gps],
            "sidecars": [str(p) for p in meta.sidecars],
            "extra": dict(meta.extra),
            "warnings": list(meta.warnings),
        }


@dataclass(frozen=True)
class ClockReading:
    """One measurement of a camera clock: offset = camera clock - agent clock at the moment the
    camera wrote it, true within ± `uncertainty_seconds`."""

    offset_seconds: float
    uncertainty_seconds: float
    camera_clock: datetime  # what the clock file says
    written_at: datetime  # the reference moment on the agent's clock
    read_at: datetime  # when the agent read the file
    reference: str  # "file_mtime" or "at_read" (the profile's `clock.written`)
    resolution_seconds: float
    file_mtime: datetime | None = None  # the clock file's modification time, as the dock reads it

    def as_dict(self) -> dict:
        return {
            "offset_seconds": self.offset_seconds,
            "uncertainty_seconds": self.uncertainty_seconds,
            "camera_clock": self.camera_clock.isoformat(),
            "written_at": self.written_at.isoformat(),
            "read_at": self.read_at.isoformat(),
            "file_mtime": self.file_mtime.isoformat() if self.file_mtime else None,
            "read_gap_seconds": round(
                (self.read_at - (self.file_mtime or self.written_at)).total_seconds(), 3
            ),
            "reference": self.reference,
            "resolution_seconds": self.resolution_seconds,
        }


def measure_clock(
    *,
    camera_clock: datetime,
    resolution_seconds: float,
    written_at: datetime,
    written_uncertainty_seconds: float = 0.0,
) -> tuple[float, float]:
    """(offset, ± uncertainty) in seconds, pure.

    The camera's clock said `camera_clock` (stated to `resolution_seconds`) at `written_at` on
    the agent's clock (known to ± `written_uncertainty_seconds`). A camera that truncates puts its
    true time in [said, said + resolution), one that rounds in [said - resolution/2, said +
    resolution/2]: the offset is taken from the middle of the truncated interval, and ± the
    resolution plus the writing moment's uncertainty holds for both. A camera 4.5 s fast writing
    whole seconds at 10:00:00.3 says 10:00:04: +4.2 ±1.0 s.
    """
    offset = (camera_clock - written_at).total_seconds() + resolution_seconds / 2
    return round(offset, 3), round(resolution_seconds + written_uncertainty_seconds, 3)


def read_clock(info, spec, *, read_at: datetime) -> ClockReading | None:
    """The measurement for a volume's `info` (firmware_profiles.VolumeInfo) under clock `spec`."""
    if info.camera_clock is None or spec is None:
        return None
    by_mtime = spec.written == "file_mtime" and info.clock_written_at is not None
    written_at = info.clock_written_at if by_mtime else read_at
    resolution = info.clock_resolution_seconds or 1.0
    offset, uncertainty = measure_clock(
        camera_clock=info.camera_clock,
        resolution_seconds=resolution,
        written_at=written_at,
        written_uncertainty_seconds=spec.written_uncertainty_seconds,
    )
    return ClockReading(
        offset,
        uncertainty,
        info.camera_clock,
        written_at,
        read_at,
        "file_mtime" if by_mtime else "at_read",
        resolution,
        info.clock_written_at,
    )


def prepare_volume(
    root: Path,
    profiles: Sequence,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    force_any: bool = False,
    profile: VolumeProfile | None = None,
) -> DockedVolume | None:
    """Match `root` to a profile (or use `profile`) and read its serial and clock; None if nothing matches."""
    root = Path(root)
    label, usb_ids = volume_label(root), volume_usb_ids(root)  # None for a plain folder
    if profile is None and profiles:
        profile = match_volume(root, profiles, label=label, usb_ids=usb_ids)
    if profile is None:
        return DockedVolume(root, AnyVideoProfile(), None) if force_any else None
    warnings: list[str] = []
    try:
        info = read_volume_info(profile, root, label=label)
    except Exception as exc:  # an unreadable clock or serial file is reported, not fatal
        warnings.append(f"volume info unreadable: {exc}")
        return DockedVolume(root, profile, None, label=label, warnings=warnings)
    warnings.extend(getattr(info, "warnings", []))
    docked = now()
    reading = read_clock(info, getattr(profile, "clock", None), read_at=docked)
    return DockedVolume(
        root,
        profile,
        info.device_serial,
        label=info.label,
        clock_offset_seconds=reading.offset_seconds if reading else None,
        clock=reading.as_dict() if reading else None,
        docked_at=docked,
        warnings=warnings,
    )


def dock_volume(
    root: Path,
    profiles: Sequence,
    *,
    status: RuntimeStatus,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    force_any: bool = False,
    profile: VolumeProfile | None = None,
) -> DockedVolume | None:
    """`prepare_volume`, shown in the live status: the step the service and a manual offload share."""
    volume = prepare_volume(root, profiles, now=now, force_any=force_any, profile=profile)
    if volume is None:
        status.volume(
            root,
            state="unrecognised",
            note="no firmware profile matches this volume; nothing is copied from it",
        )
        return None
    status.volume(
        root,
        state="docked",
        profile=volume.profile.name,
        device_serial=volume.device_serial,
        label=volume.label,
        clock_offset_seconds=volume.clock_offset_seconds,
        clock_offset_uncertainty_seconds=volume.clock["uncertainty_seconds"] if volume.clock else None,
        warnings=volume.warnings,
        note=None,
    )
    return volume


def report_skips(
    root: Path,
    skipped: list[Skipped],
    *,
    status: RuntimeStatus,
    record_event: Callable[[str, str, str], None],
    reported: set[tuple[Path, str, str]],
) -> None:
    """Show what the scan skipped, and journal each skip once (`reported` remembers which were)."""
    status.skipped(root, skipped)
    for s in skipped:
        if (root, s.relpath, s.reason) not in reported:
            reported.add((root, s.relpath, s.reason))
            record_event("skipped", s.reason, f"{root}/{s.relpath}")
