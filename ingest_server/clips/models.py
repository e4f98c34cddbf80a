"""Clip rows. Evidence facts (hash, size, manifest, times, storage location) are
immutable once stored; only the fields in `MUTABLE_WHEN_STORED` may change after,
and `assert_mutable` is the one place that says so.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ingest_server.db import Base
from ingest_server.types import UTCDateTime, new_id, utcnow

UPLOADING, VERIFYING, STORED, REJECTED = "uploading", "verifying", "stored", "rejected"
DELETED = "deleted"  # by the retention sweeper, with a deletion certificate
STATES = (UPLOADING, VERIFYING, STORED, REJECTED, DELETED)
DEFAULT_CATEGORY = "unclassified"
MUTABLE_WHEN_STORED = frozenset({"category"})


class ImmutableClipError(Exception):
    pass


class Clip(Base):
    __tablename__ = "clips"
    __table_args__ = (
        UniqueConstraint("device_id", "sha256", name="uq_clips_device_sha256"),
        Index("ix_clips_corrected_start", "corrected_start"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    part_size: Mapped[int] = mapped_column(BigInteger)
    composite: Mapped[str] = mapped_column(String(80))
    manifest_json: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True, default=UPLOADING)
    upload_id: Mapped[str | None] = mapped_column(String(1024))
    object_key: Mapped[str] = mapped_column(String(1024))
    version_id: Mapped[str | None] = mapped_column(String(1024))
    camera_serial: Mapped[str | None] = mapped_column(String(128))
    officer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(64), index=True)
    profile: Mapped[str | None] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(1024))
    camera_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    camera_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrected_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrected_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_offset_seconds: Mapped[float | None] = mapped_column(Float)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    container: Mapped[str | None] = mapped_column(String(64))
    codec: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    fps: Mapped[float | None] = mapped_column(Float)
    has_audio: Mapped[bool | None] = mapped_column(Boolean)
    flags_json: Mapped[str] = mapped_column(Text, default="[]")
    thumbnail_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary)
    category: Mapped[str] = mapped_column(String(64), index=True, default=DEFAULT_CATEGORY)
    retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection: Mapped[str | None] = mapped_column(Text)
    receipt_json: Mapped[str | None] = mapped_column(Text)
    # Optimistic concurrency: an UPDATE from a request that read an older row fails
    # (StaleDataError) instead of silently overwriting, e.g. two racing completions.
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}


def assert_mutable(clip: Clip, field: str) -> None:
    """Refuse a change to an evidence fact of a stored clip."""
    if clip.state == STORED and field not in MUTABLE_WHEN_STORED:
        raise ImmutableClipError(f"clip {clip.id} is stored evidence: {field} cannot change")
