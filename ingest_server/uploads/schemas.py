"""Upload schemas: the contract with the edge agent's uploader (see docs/ingest_server.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ingest_server.related.schemas import MAX_RELATED, GpsTrackIn, RelatedFileIn, RelatedOut
from ingest_server.schemas_common import Count, Finite, ShortText, When, text

Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class ManifestIn(BaseModel):
    """hashing.manifest format; fully validated (part count, composite) by hashing.manifest."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, le=1000)
    algorithm: text(16)
    size: int = Field(ge=0, le=2**62)
    sha256: Hex64
    part_size: int = Field(ge=1, le=2**62)
    parts: list[Hex64] = Field(min_length=1, max_length=10_000)
    composite: text(80)


class MetadataIn(BaseModel):
    camera_serial: ShortText | None = None
    officer_id: text(64) | None = None
    vehicle_id: text(64) | None = None
    profile: text(100) | None = None
    original_name: text(1024, 1)
    source_key: text(4096, 1) | None = Field(
        None,
        description="the agent's own key of the source file (camera serial, relative path, size, mtime): "
        "a register with a key seen before for this clip adds no sighting (docs/ingest_server.md)",
    )
    source_relpath: text(1024, 1) | None = Field(None, description="the file's path on the camera volume")
    camera_start: When | None = None
    camera_end: When | None = None
    corrected_start: When | None = None
    corrected_end: When | None = None
    clock_offset_seconds: Finite | None = None
    clock_offset_uncertainty_seconds: Finite | None = Field(
        None,
        ge=0,
        description="± seconds: the camera clock's resolution plus the gap between the "
        "camera writing its clock and the agent's reference moment (docs/custody.md)",
    )
    duration_seconds: Finite | None = None
    container: text(64) | None = None
    codec: text(64) | None = None
    width: Count | None = None
    height: Count | None = None
    fps: Finite | None = None
    has_audio: bool | None = None
    flags: list[text(64)] = Field(default_factory=list, max_length=64)
    thumbnail_jpeg_b64: str | None = Field(None, max_length=1_000_000)


class RegisterIn(BaseModel):
    manifest: ManifestIn
    metadata: MetadataIn
    related: list[RelatedFileIn] = Field(default_factory=list, max_length=MAX_RELATED)
    gps_track: GpsTrackIn | None = None


class ReceiptBody(BaseModel):
    """The signed facts. A clip with related files also has `related`: a list of
    `RelatedReceipt` (related/schemas.py), one per sidecar stored and locked with it."""

    clip_id: str
    sha256: str
    size: int
    object_key: str
    version_id: str | None
    stored_at: str = Field(description="ISO 8601 UTC")
    device_id: str

    # `related` (a list of RelatedReceipt: the sidecars stored and locked with the clip) is present
    # only in receipts of clips that have related files: a field with a default would add a key to
    # older signed receipts and break their signatures, so it is passed through as an extra.
    model_config = ConfigDict(extra="allow")


class Receipt(BaseModel):
    receipt: ReceiptBody
    signature: str = Field(description="base64 Ed25519 signature over the canonical JSON of `receipt`")
    key_id: str


class PartOut(BaseModel):
    part_number: int
    url: str
    checksum_sha256: str = Field(description="base64; send as the x-amz-checksum-sha256 header")
    present: bool = Field(description="the store already holds this part (resume)")


class RegisterOut(BaseModel):
    clip_id: str
    upload_id: str | None
    object_key: str
    part_size: int
    state: str = Field(
        description="'uploading'; 'verifying' (assembled, a completion is checking it: send nothing, call "
        "complete after `retry_after` seconds); or 'stored' (then `receipt` is set). `parts` is empty "
        "unless 'uploading'"
    )
    parts: list[PartOut]
    receipt: Receipt | None = None
    retry_after: int | None = Field(None, description="seconds to wait before asking complete (verifying)")
    related: list[RelatedOut] = Field(default_factory=list)


class PartDone(BaseModel):
    part_number: int = Field(ge=1, le=10_000)
    etag: text(200, 1)


class CompleteIn(BaseModel):
    parts: list[PartDone] = Field(min_length=1, max_length=10_000)


class MismatchOut(BaseModel):
    detail: str
    expected: dict
    actual: dict


class KeyOut(BaseModel):
    key_id: str
    algorithm: str = "ed25519"
    public_key_pem: str
    fingerprint: str = Field(
        description="sha256:<hex of the SHA-256 of the raw public key>; an agent checks it against the "
        "fingerprint it was given at enrollment, never trusts this one"
    )
