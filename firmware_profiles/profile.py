"""`Profile`: one camera model, as loaded from one TOML file.

A profile says how to recognise the camera (`match`), where its clips and
sidecars live (`clips`), how to read its metadata (`filename`, `metadata`), how
to read its clock (`clock`), what may happen to a clip on the camera after the
server's receipt (`release*`) and, for UVC dashcams, how to capture (`capture`).
The validators check every cross-reference, so a loaded profile can be used
without further checks.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Literal

from pydantic import PrivateAttr, field_validator, model_validator

from firmware_profiles.base import F, StrictModel
from firmware_profiles.capture import CaptureOptions
from firmware_profiles.globs import check_glob, check_relative, glob_matches, safe_relpath
from firmware_profiles.schema import (
    V4L2_RULE_KEYS,
    VOLUME_RULE_KEYS,
    ClockSpec,
    FileNameSpec,
    MatchRule,
    SidecarSpec,
)
from firmware_profiles.sources import FlagSource, GpsSource, TimeSource, ValueSource


class ClipLayout(StrictModel):
    """Where clips and their sidecars are on the volume."""

    globs: list[str] = F(
        title="Clip globs",
        min_length=1,
        description="Globs relative to the volume root ('DCIM/*/*.MP4'; '**' spans folders).",
    )
    case_sensitive: bool = F(
        False,
        title="Case-sensitive globs",
        description="FAT volumes ignore case, so by default globs do too.",
    )
    sidecars: list[SidecarSpec] = F([], title="Sidecars", description="Metadata files that belong to a clip.")

    _globs = field_validator("globs")(classmethod(lambda cls, v: [check_glob(g) for g in v]))


class MetadataSpec(StrictModel):
    """Where each metadata value of a clip comes from; a value without a source is unknown (None)."""

    device_serial: ValueSource | None = F(
        None, title="Device serial", description="The camera's serial number."
    )
    officer_id: ValueSource | None = F(
        None, title="Officer id", description="Badge or officer id of the wearer."
    )
    camera_start: TimeSource | None = F(
        None, title="Recording start", description="Start of the recording in the camera's (raw) time."
    )
    event: FlagSource | None = F(
        None,
        title="Event flag",
        description="Whether the clip was marked as an event (emergency button, trigger).",
    )
    gps: GpsSource | None = F(None, title="GPS track", description="Where the GPS points of the clip are.")
    extra: dict[str, ValueSource] = F(
        {}, title="Extra values", description="Other named values to carry with the clip (e.g. 'vehicle_id')."
    )

    def sources(self) -> dict[str, ValueSource]:
        named = {k: getattr(self, k) for k in ("device_serial", "officer_id", "camera_start", "event")}
        named.update({f"extra.{k}": v for k, v in self.extra.items()})
        return {k: v for k, v in named.items() if v is not None}


class Profile(StrictModel):
    """One camera model."""

    name: str = F(
        title="Profile name",
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        description="Unique name (lower case, digits, '.', '_', '-'); a later file with the same name "
        "overrides an earlier one.",
    )
    kind: Literal["mass_storage", "uvc"] = F(
        title="Kind",
        description="'mass_storage' (a camera docked as a USB disk) or 'uvc' (a live V4L2 video device).",
    )
    description: str = F(
        title="Description",
        min_length=10,
        description="What camera this is, and where its layout comes from.",
    )
    extends: str | None = F(
        None,
        title="Extends",
        description="Name of a profile loaded before this one whose settings this one starts from; "
        "tables merge key by key, arrays and values are replaced.",
    )
    priority: int = F(
        0,
        title="Match priority",
        description="Rules of higher-priority profiles are tried first; generic profiles use -100.",
    )
    match: list[MatchRule] = F(
        title="Match rules",
        min_length=1,
        description="Ordered rules; the profile matches if any rule matches.",
    )
    clips: ClipLayout | None = F(
        None, title="Clip layout", description="Where clips and sidecars are (required for mass_storage)."
    )
    filename: FileNameSpec | None = F(None, title="File names", description="How clip files are named.")
    metadata: MetadataSpec = F(
        MetadataSpec(), title="Metadata", description="Where each metadata value is read."
    )
    clock: ClockSpec | None = F(
        None,
        title="Camera clock",
        description="The clock file the camera keeps on the volume; read at dock time "
        "to measure the camera's clock offset.",
    )
    release: Literal["delete", "keep", "move"] = F(
        "keep",
        title="Release action",
        description="What happens to the clip on the camera after the server's "
        "signed receipt: 'delete', 'keep' or 'move' (to release_move_to).",
    )
    release_move_to: str | None = F(
        None, title="Release folder", description="For release='move': folder relative to the volume root."
    )
    release_full_rehash: bool = F(
        True,
        title="Re-hash before release",
        description="Re-read and re-hash the whole camera file before releasing it; "
        "if false, size and modification time are compared instead.",
    )
    capture: CaptureOptions | None = F(
        None, title="Capture options", description="UVC only: how to record from the V4L2 device."
    )
    _source: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        allowed = VOLUME_RULE_KEYS if self.kind == "mass_storage" else V4L2_RULE_KEYS
        for i, rule in enumerate(self.match):
            wrong = rule.keys() - allowed
            if wrong:
                raise ValueError(
                    f"match.{i}: {sorted(wrong)} cannot be used by a {self.kind} profile "
                    f"(allowed: {sorted(allowed)})"
                )
        if self.kind == "mass_storage" and self.clips is None:
            raise ValueError("clips: a mass_storage profile needs a [clips] table")
        if self.kind == "mass_storage" and self.capture is not None:
            raise ValueError("capture: [capture] is only for uvc profiles")
        if self.kind == "uvc" and self.capture is None:
            raise ValueError("capture: a uvc profile needs a [capture] table")
        if (self.release == "move") != (self.release_move_to is not None):
            raise ValueError("release_move_to: required for release='move' and only allowed with it")
        if self.release_move_to is not None:
            check_relative(self.release_move_to, "release_move_to: folder")
            self._check_moved_clips_are_not_clips(self.release_move_to)
        self._check_references()
        return self

    def _check_moved_clips_are_not_clips(self, release_move_to: str) -> None:
        """A clip moved on release must not look like a new clip (it would be offloaded again)."""
        folder = PurePosixPath(release_move_to)
        for glob in self.clips.globs if self.clips else []:
            probe = re.sub(r"\[[^\]]*\]", "0", glob.rsplit("/", 1)[-1]).replace("*", "x").replace("?", "0")
            for candidate in (folder / probe, folder / "x" / probe, folder / "x" / "x" / probe):
                if self.is_clip(candidate):
                    raise ValueError(
                        f"release_move_to: clips moved to {folder}/ would match clip glob {glob!r} and be "
                        "offloaded again; choose a folder outside the clip globs"
                    )

    def _check_references(self) -> None:
        groups = set(re.compile(self.filename.pattern).groupindex) if self.filename else set()
        sidecars = {s.name: s for s in (self.clips.sidecars if self.clips else [])}
        for field, src in self.metadata.sources().items():
            if src.source == "filename" and src.key not in groups:
                raise ValueError(
                    f"metadata.{field}: file-name group {src.key!r} is not in filename.pattern "
                    f"(groups: {sorted(groups)})"
                )
            if src.source == "sidecar":
                self._sidecar_named(src.sidecar, sidecars, f"metadata.{field}")
        gps = self.metadata.gps
        if gps is not None:
            spec = self._sidecar_named(gps.sidecar, sidecars, "metadata.gps")
            if (gps.points == ".") != (spec.format == "csv_index"):
                raise ValueError("metadata.gps: points='.' is for csv_index sidecars, which need it")

    @staticmethod
    def _sidecar_named(name: str | None, sidecars: dict[str, SidecarSpec], where: str) -> SidecarSpec:
        if not sidecars:
            raise ValueError(f"{where}: reads a sidecar but clips.sidecars declares none")
        if name is None:
            return next(iter(sidecars.values()))
        if name not in sidecars:
            raise ValueError(f"{where}: unknown sidecar {name!r} (declared: {sorted(sidecars)})")
        return sidecars[name]

    @property
    def source_file(self) -> str | None:
        """The TOML file this profile was loaded from (None for one built in code)."""
        return self._source

    @property
    def clip_globs(self) -> tuple[list[str], bool]:
        """The clip globs and whether they are case-sensitive."""
        if self.clips is None:  # uvc: the recorder's segments
            return ["**/*.mp4"], False
        return self.clips.globs, self.clips.case_sensitive

    def is_clip(self, relpath: PurePosixPath) -> bool:
        """Whether a volume-relative path is one of this camera's clips (by name only)."""
        globs, case = self.clip_globs
        return any(glob_matches(g, relpath, case) for g in globs)

    def sidecar_spec(self, name: str | None) -> SidecarSpec:
        sidecars = {s.name: s for s in (self.clips.sidecars if self.clips else [])}
        return self._sidecar_named(name, sidecars, self.name)

    def sidecar_path(self, spec: SidecarSpec, relpath: PurePosixPath) -> PurePosixPath:
        """Where `spec`'s sidecar of the clip at `relpath` is (it may not exist)."""
        rendered = spec.path.format(
            stem=relpath.stem, name=relpath.name, suffix=relpath.suffix, folder=relpath.parent.name
        )
        if rendered.startswith("/"):
            return safe_relpath(rendered[1:])
        return safe_relpath(str(relpath.parent / rendered))

    def sidecars_for(self, relpath: PurePosixPath) -> list[PurePosixPath]:
        """The sidecar files that belong to a clip, in declaration order (they may not exist)."""
        specs = self.clips.sidecars if self.clips else []
        out: list[PurePosixPath] = []
        for spec in specs:
            try:
                path = self.sidecar_path(spec, relpath)
            except ValueError:  # an odd clip name rendered out of the volume: no sidecar
                continue
            if path not in out:
                out.append(path)
        return out
