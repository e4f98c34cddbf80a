"""Clip schemas: what the API shows of a clip, and the category change."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SightingPublic(BaseModel):
    """One place the clip's bytes were found, as that source described them."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    original_name: str = Field(description="the file's name on that camera")
    source_relpath: str | None
    camera_serial: str | None
    officer_id: str | None
    vehicle_id: str | None
    profile: str | None
    camera_start: datetime | None
    camera_end: datetime | None
    corrected_start: datetime | None
    corrected_end: datetime | None
    clock_offset_seconds: float | None
    clock_offset_uncertainty_seconds: float | None
    registered_at: datetime


class ClipPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    device_id: str
    sha256: str
    size: int
    part_size: int
    composite: str
    state: str = Field(description="uploading, verifying, stored or rejected")
    object_key: str
    version_id: str | None
    camera_serial: str | None
    officer_id: str | None
    vehicle_id: str | None
    profile: str | None
    original_name: str
    camera_start: datetime | None
    camera_end: datetime | None
    corrected_start: datetime | None
    corrected_end: datetime | None
    clock_offset_seconds: float | None
    clock_offset_uncertainty_seconds: float | None = None
    duration_seconds: float | None
    container: str | None
    codec: str | None
    width: int | None
    height: int | None
    fps: float | None
    has_audio: bool | None
    flags: list[str]
    category: str
    retain_until: datetime | None
    registered_at: datetime
    stored_at: datetime | None
    rejection: str | None
    sightings: list[SightingPublic] = Field(
        default_factory=list,
        description="every source the bytes were registered from (another name, another camera), first first",
    )


class ClipPage(BaseModel):
    items: list[ClipPublic]
    total: int
    limit: int
    offset: int
