"""The related-file part of the upload contract (register body and answer, receipt)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ingest_server.schemas_common import When, text

Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
MAX_RELATED = 32
MAX_TRACK_POINTS = 10_000


class RelatedFileIn(BaseModel):
    """A sidecar of the clip, as the agent copied and hashed it off the camera."""

    model_config = ConfigDict(extra="forbid")

    name: text(1024, 1) = Field(description="relative path on the camera, e.g. MEDIA/B1_20261124-100000.XML")
    size: int = Field(ge=0, le=5 * 1024**3)
    sha256: Hex64
    kind: Literal["json", "xml", "csv", "gps", "other"]


class GpsPointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: When
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class GpsTrackIn(BaseModel):
    """The GPS track the agent's camera profile read from one of the related files."""

    model_config = ConfigDict(extra="forbid")

    sidecar: text(1024, 1) | None = Field(None, description="the related file's name the track was read from")
    points: list[GpsPointIn] = Field(max_length=MAX_TRACK_POINTS)


class RelatedOut(BaseModel):
    name: str
    object_key: str
    size: int
    sha256: str
    url: str | None = Field(
        description="presigned PUT, bound to `checksum_sha256`; None when stored or present"
    )
    checksum_sha256: str = Field(description="base64; send as the x-amz-checksum-sha256 header")
    present: bool = Field(description="the store already holds these bytes at `object_key`")


class RelatedReceipt(BaseModel):
    name: str
    sha256: str
    size: int
    object_key: str
    version_id: str | None
