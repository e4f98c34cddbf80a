"""The parts of a firmware profile: strict pydantic models, one per TOML table.

Every model forbids unknown keys (a typo in a profile is an error, never a
silently ignored setting) and every field has a title and a description, which
docs/firmware_profiles.md and error messages rely on. `Profile` itself, which
ties the parts together and checks their cross-references, is in `profile.py`;
the metadata sources (value, time, flag, GPS) are in `sources.py`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import field_validator, model_validator

from firmware_profiles.base import TIME_FORMAT_DOC, F, StrictModel, check_timezone
from firmware_profiles.globs import check_relative, template_fields

VOLUME_RULE_KEYS = frozenset({"marker_file", "volume_label", "usb_vendor", "usb_product"})
V4L2_RULE_KEYS = frozenset({"device_name", "device_path", "usb_vendor", "usb_product"})


class MatchRule(StrictModel):
    """One recognition rule: every key it sets must match (keys it leaves out are not checked)."""

    marker_file: str | None = F(
        None,
        title="Marker file",
        description="Path relative to the volume root that must exist (file or folder).",
    )
    volume_label: str | None = F(
        None,
        title="Volume label",
        description="Glob on the file-system label, case-insensitive (e.g. 'BODYCAM*').",
    )
    usb_vendor: int | None = F(
        None,
        title="USB vendor id",
        ge=0,
        le=0xFFFF,
        description="USB idVendor (write 0x1234 in TOML); unknown ids never match.",
    )
    usb_product: int | None = F(
        None,
        title="USB product id",
        ge=0,
        le=0xFFFF,
        description="USB idProduct (write 0x1234 in TOML); unknown ids never match.",
    )
    device_name: str | None = F(
        None,
        title="V4L2 device name",
        description="Glob on the V4L2 card name, case-insensitive (UVC devices only).",
    )
    device_path: str | None = F(
        None,
        title="V4L2 device path",
        description="Glob on the device node, e.g. '/dev/video*' (UVC devices only).",
    )

    @field_validator("marker_file")
    @classmethod
    def _marker_inside(cls, v: str | None) -> str | None:
        return None if v is None else check_relative(v, "marker_file")

    @model_validator(mode="after")
    def _not_empty(self) -> MatchRule:
        if not self.keys():
            raise ValueError(
                "a match rule needs at least one key ("
                + ", ".join(sorted(VOLUME_RULE_KEYS | V4L2_RULE_KEYS))
                + ")"
            )
        return self

    def keys(self) -> set[str]:
        return {k for k in type(self).model_fields if getattr(self, k) is not None}


class SidecarSpec(StrictModel):
    """A metadata file that belongs to a clip."""

    name: str = F(
        title="Sidecar name",
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Identifier used by metadata sources to refer to this sidecar.",
    )
    format: Literal["json", "csv_index", "xml"] = F(
        title="Format",
        description="'json' (one object per clip), 'csv_index' (one row per clip in a shared "
        "index file) or 'xml' (one document per clip; namespaces are ignored).",
    )
    path: str = F(
        title="Path template",
        description="Where the sidecar is, relative to the clip's folder; a leading '/' means the volume "
        "root. Fields: {stem}, {name}, {suffix} of the clip file, {folder} of its folder.",
    )
    key_column: str | None = F(
        None, title="Index key column", description="csv_index only: the column holding the clip's file name."
    )
    delimiter: str = F(
        ",",
        title="CSV delimiter",
        min_length=1,
        max_length=1,
        description="csv_index only: the field delimiter.",
    )
    encoding: str = F(
        "utf-8",
        title="Text encoding",
        description="Encoding of csv_index files ('utf-8-sig' accepts a byte-order mark).",
    )

    @field_validator("path")
    @classmethod
    def _path_ok(cls, v: str) -> str:
        unknown = template_fields(v) - {"stem", "name", "suffix", "folder"}
        if unknown:
            raise ValueError(
                f"unknown template field(s) {sorted(unknown)}; use {{stem}}, {{name}}, {{suffix}}, {{folder}}"
            )
        return check_relative(v, "sidecar path", root_anchor=True)

    @model_validator(mode="after")
    def _csv_key(self) -> SidecarSpec:
        if (self.format == "csv_index") != (self.key_column is not None):
            raise ValueError("key_column is required for csv_index sidecars and only allowed for them")
        return self


class FileNameSpec(StrictModel):
    """How the camera names its clips: a regex to read names, a template to write them (simulator, docs)."""

    pattern: str = F(
        title="File-name pattern",
        description="Python regex with named groups, matched against the whole file name.",
    )
    template: str = F(
        title="File-name template",
        description="str.format template of a name this camera writes, using the pattern's group "
        "names, {seq} and {when:%Y%m%d} (the camera start); the simulator writes names with it.",
    )
    folder: str = F(
        "",
        title="Folder template",
        description="str.format template of the clip's folder; may use {when:%Y%m%d} (camera time).",
    )

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return v

    @model_validator(mode="after")
    def _template_uses_groups(self) -> FileNameSpec:
        groups = set(re.compile(self.pattern).groupindex)
        unknown = template_fields(self.template) - groups - {"seq", "when"}
        if unknown:
            raise ValueError(
                f"template uses {sorted(unknown)}, which are not groups of the pattern "
                f"(groups: {sorted(groups)}, plus {{seq}}, {{when}})"
            )
        if template_fields(self.folder) - {"when", "seq"}:
            raise ValueError("folder template may only use {when} and {seq}")
        return self

    @property
    def compiled(self) -> re.Pattern[str]:
        return _compile(self.pattern)


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


class ClockSpec(StrictModel):
    """The camera's clock as written to a file on the volume (read at dock time to measure drift)."""

    file: str = F(title="Clock file", description="Path relative to the volume root.")
    prefix: str = F(
        "", title="Line prefix", description="The time is the rest of the first line with this prefix."
    )
    format: str = F(
        "%Y-%m-%d %H:%M:%S", title="Time format", description="How the time is written: " + TIME_FORMAT_DOC
    )
    timezone: str = F("UTC", title="Time zone", description="IANA zone of a time written without an offset.")
    written: Literal["file_mtime", "at_read"] = F(
        "at_read",
        title="When the camera writes its clock",
        description="file_mtime: the camera writes the clock file when it is connected, and the file's "
        "modification time as the dock reads it is that moment on the dock's clock; the offset is taken "
        "against it, however long the camera waits before it is read. at_read: the camera keeps the file "
        "current, so the offset is taken against the moment the agent reads it (the default: say "
        "file_mtime only for a camera whose clock file's time is the dock's, never one stamped by the "
        "camera's own clock, which would hide its drift).",
    )
    resolution_seconds: float | None = F(
        None,
        gt=0,
        title="Clock resolution",
        description="How finely the clock file states the time, in seconds. Default: from the format "
        "(1 for whole seconds, 0.001 for epoch_ms, the digits of an ISO 8601 fraction, 1e-6 for %f).",
    )
    written_uncertainty_seconds: float = F(
        0.0,
        ge=0,
        title="Uncertainty of the writing moment",
        description="How far the reference moment can be from the moment the camera wrote its clock, in "
        "seconds (2 for a FAT modification time, the update period of an at_read camera).",
    )

    _tz = field_validator("timezone")(classmethod(lambda cls, v: check_timezone(v)))
    _file = field_validator("file")(classmethod(lambda cls, v: check_relative(v, "clock file")))
