"""Metadata sources of a profile: where a value, a time, a flag or a GPS track is read from.

A value comes from the file name (a regex group), a sidecar field, a line of a
small file on the volume, or a constant. Times carry their format and zone.
"""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from firmware_profiles.base import TIME_FORMAT_DOC, F, StrictModel, check_timezone
from firmware_profiles.globs import check_relative


class ValueSource(StrictModel):
    """Where one metadata value comes from."""

    source: Literal["filename", "sidecar", "volume_file", "constant"] = F(
        title="Source",
        description="'filename' (a named group of the file-name pattern), 'sidecar' (a field of "
        "a sidecar), 'volume_file' (a line of a file on the volume) or 'constant'.",
    )
    key: str | None = F(
        None,
        title="Key",
        description="filename: the group name; sidecar: a dotted path ('officer.badge'; in XML "
        "'@attr' is an attribute) or, for csv_index, the column name.",
    )
    sidecar: str | None = F(
        None, title="Sidecar", description="sidecar: which sidecar (default: the first one)."
    )
    path: str | None = F(
        None, title="Volume file", description="volume_file: path relative to the volume root."
    )
    prefix: str = F(
        "",
        title="Line prefix",
        description="volume_file: the value is the rest of the first line starting with this prefix.",
    )
    value: str | None = F(None, title="Constant value", description="constant: the value itself.")

    @model_validator(mode="after")
    def _needs(self) -> ValueSource:
        need = {"filename": "key", "sidecar": "key", "volume_file": "path", "constant": "value"}[self.source]
        if getattr(self, need) is None:
            raise ValueError(f"source '{self.source}' needs '{need}'")
        if self.path is not None:
            check_relative(self.path, "volume_file path")
        return self


class TimeSource(ValueSource):
    """A timestamp: where it comes from and how to read it."""

    format: str = F("iso8601", title="Time format", description="How the time is written: " + TIME_FORMAT_DOC)
    timezone: str = F(
        "UTC",
        title="Time zone",
        description="IANA zone of times written without an offset (cameras often use local time).",
    )

    _tz = field_validator("timezone")(classmethod(lambda cls, v: check_timezone(v)))


class FlagSource(ValueSource):
    """A yes/no value such as an event (emergency button) flag."""

    true_values: list[str] = F(
        ["1", "true", "yes", "y", "on"],
        title="True values",
        min_length=1,
        description="Values (case-insensitive) that mean yes; anything else means no.",
    )


class GpsSource(StrictModel):
    """A GPS track in a sidecar: a list of points, each with a time, a latitude and a longitude."""

    sidecar: str | None = F(
        None, title="Sidecar", description="Which sidecar holds the track (default: the first)."
    )
    points: str = F(
        title="Points path",
        description="Dotted path to the repeated point element/list ('track.point'), or '.' for the "
        "clip's own csv_index row (a single point).",
    )
    time: str = F(
        title="Point time key", description="Key of the point's time (XML: '@time' or a child tag)."
    )
    lat: str = F(title="Point latitude key", description="Key of the latitude in decimal degrees.")
    lon: str = F(title="Point longitude key", description="Key of the longitude in decimal degrees.")
    format: str = F(
        "iso8601", title="Time format", description="How point times are written: " + TIME_FORMAT_DOC
    )
    timezone: str = F(
        "UTC", title="Time zone", description="IANA zone of point times written without an offset."
    )

    _tz = field_validator("timezone")(classmethod(lambda cls, v: check_timezone(v)))
