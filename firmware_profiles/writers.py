"""Writing a volume's metadata files as a profile declares them (the inverse of the readers).

`VolumeWriter` turns what a camera knows about each clip (`ClipFacts`) into the
clip's file name and folder, its sidecars (JSON, XML, CSV index rows), the
volume files (serial, clock) and a marker file, exactly where and how the
profile says the readers will look. The camera simulator uses it, so any TOML
profile, including one a site adds, can be simulated and its readers tested
against what was written.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from firmware_profiles.globs import safe_relpath
from firmware_profiles.profile import ClipLayout, Profile
from firmware_profiles.schema import SidecarSpec
from firmware_profiles.sources import FlagSource, TimeSource, ValueSource
from firmware_profiles.timefmt import format_time


@dataclass
class ClipFacts:
    seq: int
    camera_start: datetime
    officer_id: str | None = None
    device_serial: str | None = None
    event: bool = False
    gps: list[tuple[datetime, float, float]] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


def _set_path(doc: dict, dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        doc = doc.setdefault(key, {})
    doc[keys[-1]] = value


def _false_value(src: FlagSource) -> str:
    if src.source == "filename":
        return ""
    true = {v.casefold() for v in src.true_values}
    opposite = _OPPOSITES.get(src.true_values[0].casefold(), "")
    candidates = (opposite.upper() if src.true_values[0].isupper() else opposite, "0", "false", "no", "")
    return next(v for v in candidates if v.casefold() not in true)


_OPPOSITES = {"1": "0", "true": "false", "yes": "no", "y": "n", "on": "off", "t": "f"}


def _xml_element(tag: str, node: Any) -> ET.Element:
    elem = ET.Element(tag)
    if not isinstance(node, dict):
        elem.text = str(node)
        return elem
    for key, value in node.items():
        if key.startswith("@"):
            elem.set(key[1:], str(value))
        elif key == "#text":
            elem.text = str(value)
        else:
            for item in value if isinstance(value, list) else [value]:
                elem.append(_xml_element(key, item))
    return elem


class VolumeWriter:
    """Accumulates the files of a simulated volume; `files()` gives their bytes by relative path."""

    def __init__(self, profile: Profile):
        if profile.kind != "mass_storage" or profile.clips is None:
            raise ValueError(f"profile {profile.name} is {profile.kind}: only mass_storage is written")
        self.profile = profile
        self._layout: ClipLayout = profile.clips
        self._docs: dict[PurePosixPath, tuple[str, dict]] = {}  # json/xml sidecar documents
        self._clips: list[PurePosixPath] = []
        self._rows: dict[PurePosixPath, list[dict[str, str]]] = {}  # csv index rows per index file
        self._volume: dict[PurePosixPath, dict[str, str]] = {}  # volume files: prefix -> value

    def clip_relpath(self, facts: ClipFacts, stem_suffix: str = "") -> PurePosixPath:
        """Where the camera writes this clip; `stem_suffix` makes an odd name next to the normal one."""
        spec = self.profile.filename
        if spec is None:
            raise ValueError(f"profile {self.profile.name} has no [filename] table: cannot name clips")
        when = facts.camera_start.astimezone(self._start_zone())
        values = {"seq": facts.seq, "when": when}
        for _, src, value in self._values(facts):
            if src.source == "filename":
                assert src.key is not None  # the schema requires a key for source 'filename'
                values[src.key] = value
        try:
            name = PurePosixPath(spec.template.format(**values))
        except KeyError as exc:
            raise ValueError(
                f"profile {self.profile.name}: file-name template field {exc} is not read from the "
                "file name by any metadata source, so there is no value to write"
            ) from None
        if stem_suffix:
            name = PurePosixPath(name.stem + stem_suffix + name.suffix)
        folder = spec.folder.format(when=when, seq=facts.seq)
        relpath = safe_relpath(f"{folder}/{name}" if folder else str(name))
        if not self.profile.is_clip(relpath):
            raise ValueError(f"profile {self.profile.name}: name {relpath} is not matched by its clip globs")
        if not stem_suffix and spec.compiled.fullmatch(relpath.name) is None:
            raise ValueError(f"profile {self.profile.name}: name {relpath.name!r} does not fit its pattern")
        return relpath

    def _start_zone(self) -> ZoneInfo:
        src = self.profile.metadata.camera_start
        return ZoneInfo(src.timezone if src is not None else "UTC")

    def _values(self, facts: ClipFacts) -> list[tuple[str, ValueSource, Any]]:
        md, out = self.profile.metadata, []
        for name, src in md.sources().items():
            if isinstance(src, TimeSource):
                value: Any = format_time(facts.camera_start, src.format, src.timezone)
            elif isinstance(src, FlagSource):
                value = src.true_values[0] if facts.event else _false_value(src)
            elif name.startswith("extra."):
                value = facts.extra.get(name[6:], f"sim-{name[6:]}")
            else:
                value = getattr(facts, name)
            if value is not None:
                out.append((name, src, value))
        return out

    def add_clip(self, relpath: PurePosixPath, facts: ClipFacts) -> None:
        """Record the clip's values in its sidecars and the volume files."""
        self._clips.append(relpath)
        for _, src, value in self._values(facts):
            if src.source == "sidecar":
                assert src.key is not None  # the schema requires a key for source 'sidecar'
                self._sidecar_set(relpath, src.sidecar, src.key, value)
            elif src.source == "volume_file":
                assert src.path is not None  # the schema requires a path for source 'volume_file'
                self._volume.setdefault(PurePosixPath(src.path), {})[src.prefix] = str(value)
        gps = self.profile.metadata.gps
        if gps is not None and facts.gps:
            points = [
                {gps.time: format_time(t, gps.format, gps.timezone), gps.lat: lat, gps.lon: lon}
                for t, lat, lon in facts.gps
            ]
            if gps.points == ".":
                for key, value in points[0].items():
                    self._sidecar_set(relpath, gps.sidecar, key, value)
            else:
                self._sidecar_set(relpath, gps.sidecar, gps.points, points)

    def _sidecar_set(self, relpath: PurePosixPath, name: str | None, key: str, value: Any) -> None:
        spec = self.profile.sidecar_spec(name)
        path = self.profile.sidecar_path(spec, relpath)
        if spec.format == "csv_index":
            assert spec.key_column is not None  # the schema requires it for csv_index sidecars
            rows = self._rows.setdefault(path, [])
            if not rows or rows[-1][spec.key_column] != relpath.name:
                rows.append({spec.key_column: relpath.name})
            rows[-1][key] = str(value)
            return
        if spec.format == "json" and value in ("true", "false"):
            value = value == "true"
        _set_path(self._docs.setdefault(path, (spec.format, {}))[1], key, value)

    def set_clock(self, camera_now: datetime) -> None:
        clock = self.profile.clock
        if clock is not None:
            text = format_time(camera_now, clock.format, clock.timezone)
            self._volume.setdefault(PurePosixPath(clock.file), {})[clock.prefix] = text

    def files(self) -> dict[PurePosixPath, bytes]:
        out: dict[PurePosixPath, bytes] = {}
        for path, (fmt, doc) in self._docs.items():
            out[path] = self._render(doc, fmt)
        for path, rows in self._rows.items():
            columns = list(dict.fromkeys(k for row in rows for k in row))
            buf = io.StringIO(newline="")
            writer = csv.DictWriter(
                buf, fieldnames=columns, delimiter=self._csv_spec().delimiter, lineterminator="\r\n"
            )
            writer.writeheader()
            writer.writerows(rows)
            out[path] = buf.getvalue().encode(self._csv_spec().encoding)
        for path, lines in self._volume.items():
            out[path] = "".join(f"{prefix}{value}\r\n" for prefix, value in lines.items()).encode("utf-8")
        marker = next((r.marker_file for r in self.profile.match if r.marker_file), None)
        if marker and not any(PurePosixPath(marker) in (p, *p.parents) for p in [*out, *self._clips]):
            out[PurePosixPath(marker)] = b""
        return out

    @staticmethod
    def _render(doc: dict, fmt: str) -> bytes:
        if fmt == "json":
            return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        ((root_tag, root),) = doc.items()
        tree = ET.ElementTree(_xml_element(root_tag, root))
        ET.indent(tree)
        buf = io.BytesIO()
        tree.write(buf, encoding="utf-8", xml_declaration=True)
        return buf.getvalue()

    def _csv_spec(self) -> SidecarSpec:
        return next(s for s in self._layout.sidecars if s.format == "csv_index")
