"""Reading a volume's and a clip's metadata the way its profile says.

`read_clip_metadata` never raises on bad camera data: a missing or broken
sidecar, a name that does not fit the pattern, an unparseable time or a bad GPS
point each become a warning in `ClipMetadata.warnings` (naming the file and the
problem), because the clip is evidence whatever its sidecar says. Values not
declared by the profile are None. Times are the camera's raw times (aware);
correcting them for clock drift is the agent's job, with `VolumeInfo.camera_clock`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from firmware_profiles.devices import volume_label
from firmware_profiles.globs import safe_relpath
from firmware_profiles.profile import Profile
from firmware_profiles.sidecars import (
    SidecarError,
    is_volume_file,
    lookup,
    lookup_all,
    parse_json,
    parse_xml,
    read_csv_row,
    read_volume_file,
)
from firmware_profiles.sources import FlagSource, GpsSource, TimeSource, ValueSource
from firmware_profiles.timefmt import parse_time, resolution_of
from firmware_profiles.volume_files import read_line_value
from firmware_profiles.walk import iter_clips

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VolumeInfo:
    device_serial: str | None
    camera_clock: datetime | None  # aware: what the camera's clock file says
    label: str | None
    warnings: list[str] = field(default_factory=list)
    clock_written_at: datetime | None = None  # aware: the clock file's modification time (file_mtime)
    clock_resolution_seconds: float | None = None  # how finely the file states the time


@dataclass
class ClipMetadata:
    officer_id: str | None = None
    device_serial: str | None = None
    camera_start: datetime | None = None  # aware, the camera's raw time
    event: bool = False
    gps: list[tuple[datetime, float, float]] = field(default_factory=list)
    sidecars: list[PurePosixPath] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def read_volume_info(profile: Profile, root: Path, *, label: str | None = None) -> VolumeInfo:
    """The camera's serial, clock and label, read at dock time.

    A serial kept per clip (in names or sidecars) is read from the volume as a whole: up to
    `SERIAL_SAMPLE` clips spread evenly over all of them (sorted), and the serial most of
    them carry wins (a warning names any other). So the identity does not depend on
    which clips sort first, nor change when those are released from the camera.
    Without `label`, the label of the file system mounted at `root` is looked up (None for a folder).
    """
    warnings: list[str] = []
    serial = None
    src = profile.metadata.device_serial
    if src is not None and src.source in ("volume_file", "constant"):
        serial = _volume_value(root, src, warnings)
    elif src is not None:  # serial is per clip (name or sidecar): the volume's majority
        serial = _majority_serial(profile, root, warnings)
    clock = written = resolution = None
    if profile.clock is not None:
        spec = profile.clock
        text = _volume_value(
            root, ValueSource(source="volume_file", path=spec.file, prefix=spec.prefix), warnings
        )
        if text is not None:
            try:
                clock = parse_time(text, spec.format, spec.timezone)
                resolution = spec.resolution_seconds or resolution_of(text, spec.format)
                written = datetime.fromtimestamp((root / spec.file).stat().st_mtime_ns / 1e9, UTC)
            except ValueError as exc:
                warnings.append(f"clock file {spec.file}: {exc}")
            except OSError as exc:
                warnings.append(f"clock file {spec.file}: modification time unreadable: {exc}")
            if clock is not None and clock.year < 2010:
                warnings.append(
                    f"clock file {spec.file}: camera clock says {clock.isoformat()}: "
                    "its clock looks reset (flat battery?); its times are not to be trusted"
                )
    if label is None:
        label = volume_label(root)
    return VolumeInfo(
        device_serial=serial,
        camera_clock=clock,
        label=label,
        warnings=warnings,
        clock_written_at=written,
        clock_resolution_seconds=resolution,
    )


SERIAL_SAMPLE = 64


def _majority_serial(profile: Profile, root: Path, warnings: list[str]) -> str | None:
    clips = list(iter_clips(profile, root))
    if len(clips) > SERIAL_SAMPLE:
        step = len(clips) / SERIAL_SAMPLE
        clips = [clips[int(i * step)] for i in range(SERIAL_SAMPLE)] + [clips[-1]]
    seen: Counter[str] = Counter()
    for relpath in clips:
        try:
            serial = read_clip_metadata(profile, root, relpath).device_serial
        except Exception as exc:  # one broken sidecar must not take the camera's identity with it
            warnings.append(f"{relpath}: metadata unreadable while reading the serial: {exc}")
            continue
        if serial:
            seen[serial] += 1
    if not seen:
        return None
    (serial, _), *others = sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))
    if others:
        warnings.append(
            f"clips carry more than one device serial; {serial!r} (most clips) is the camera's, "
            f"also seen: {', '.join(repr(s) for s, _ in others)}"
        )
    return serial


def _volume_value(root: Path, src: ValueSource, warnings: list[str]) -> str | None:
    if src.source == "constant":
        return src.value
    assert src.path is not None  # the schema requires a path for source 'volume_file'
    try:
        return read_line_value(root, PurePosixPath(src.path), src.prefix)
    except SidecarError as exc:
        warnings.append(f"{src.path}: {exc}")
        return None


class _ClipReader:
    def __init__(self, profile: Profile, root: Path, relpath: PurePosixPath):
        self.profile, self.root, self.relpath = profile, Path(root), relpath
        self.meta = ClipMetadata()
        self.groups: dict[str, str] = {}
        self.trees: dict[str, Any] = {}

    def read(self) -> ClipMetadata:
        self._read_name()
        self._read_sidecars()
        md, meta = self.profile.metadata, self.meta
        meta.device_serial = self._value(md.device_serial, "device_serial")
        meta.officer_id = self._value(md.officer_id, "officer_id")
        meta.camera_start = self._time(md.camera_start)
        meta.event = self._flag(md.event)
        meta.gps = self._gps(md.gps) if md.gps else []
        for name, src in md.extra.items():
            value = self._value(src, name)
            if value is not None:
                meta.extra[name] = value
        return meta

    def _read_name(self) -> None:
        spec = self.profile.filename
        if spec is None:
            return
        m = spec.compiled.fullmatch(self.relpath.name)
        if m is None:
            self.meta.warnings.append(
                f"{self.relpath}: file name does not fit the profile's pattern "
                f"{spec.pattern!r}; values from the name are unknown"
            )
            return
        self.groups = {k: v for k, v in m.groupdict().items() if v is not None}

    def _read_sidecars(self) -> None:
        for spec in self.profile.clips.sidecars if self.profile.clips else []:
            try:
                path = self.profile.sidecar_path(spec, self.relpath)
            except ValueError as exc:
                self.meta.warnings.append(f"sidecar {spec.name}: {exc}")
                continue
            if spec.format == "csv_index":  # one index per folder: parsed once, not once per clip
                try:
                    self.trees[spec.name] = read_csv_row(self.root, path, spec, self.relpath.name)
                except SidecarError as exc:
                    self.meta.warnings.append(f"sidecar {path}: {exc}")
                if is_volume_file(self.root, path) and path not in self.meta.sidecars:
                    self.meta.sidecars.append(path)
                continue
            try:
                data = read_volume_file(self.root, path)
            except SidecarError as exc:
                self.meta.warnings.append(f"sidecar {path}: {exc}")
                continue
            if path not in self.meta.sidecars:  # a broken sidecar is still offloaded with its clip
                self.meta.sidecars.append(path)
            try:
                parse = parse_json if spec.format == "json" else parse_xml
                self.trees[spec.name] = parse(data)
            except SidecarError as exc:
                self.meta.warnings.append(f"sidecar {path}: {exc}")

    def _value(self, src: ValueSource | None, what: str) -> str | None:
        if src is None:
            return None
        if src.source in ("volume_file", "constant"):
            return _volume_value(self.root, src, self.meta.warnings)
        assert src.key is not None  # the schema requires a key for sources 'filename' and 'sidecar'
        if src.source == "filename":
            return self.groups.get(src.key)
        name = self.profile.sidecar_spec(src.sidecar).name
        if name not in self.trees:
            return None  # already warned about the sidecar
        value = lookup(self.trees[name], src.key)
        if value is None:
            self.meta.warnings.append(f"sidecar {name}: no value at {src.key!r} for {what}")
        return value

    def _time(self, src: TimeSource | None) -> datetime | None:
        text = self._value(src, "camera_start")
        if text is None or src is None:
            return None
        try:
            return parse_time(text, src.format, src.timezone)
        except ValueError as exc:
            self.meta.warnings.append(f"camera_start: {exc}")
            return None

    def _flag(self, src: FlagSource | None) -> bool:
        text = self._value(src, "event")
        if text is None or src is None:
            return False
        return text.strip().casefold() in {v.casefold() for v in src.true_values}

    def _gps(self, src: GpsSource) -> list[tuple[datetime, float, float]]:
        name = self.profile.sidecar_spec(src.sidecar).name
        if name not in self.trees:
            return []
        track, bad = [], 0
        for point in lookup_all(self.trees[name], src.points):
            try:
                when = parse_time(lookup(point, src.time) or "", src.format, src.timezone)
                lat, lon = float(lookup(point, src.lat) or "nan"), float(lookup(point, src.lon) or "nan")
                if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                    raise ValueError("latitude/longitude out of range")
            except ValueError:
                bad += 1
                continue
            track.append((when, lat, lon))
        if bad:
            self.meta.warnings.append(f"sidecar {name}: {bad} GPS point(s) unreadable, skipped")
        return track


def read_clip_metadata(profile: Profile, root: Path, relpath: PurePosixPath) -> ClipMetadata:
    """The clip's metadata as its profile declares it; problems with camera data are warnings.

    Raises ValueError only for a `relpath` that is not inside the volume (a caller's bug).
    """
    reader = _ClipReader(profile, root, safe_relpath(str(relpath)))
    try:
        return reader.read()
    except Exception as exc:  # a reader bug must not cost a clip its offload: report what was read so far
        log.exception("reading metadata of %s on %s failed", relpath, root)
        reader.meta.warnings.append(f"{relpath}: metadata reader failed: {type(exc).__name__}: {exc}")
        return reader.meta
