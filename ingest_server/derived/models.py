"""Derived objects, the redaction work that makes them, and public records requests.

- `Redaction`: one custodian's redaction of one clip: the scan's tracks (with thumbnails), the
  decisions (rejected tracks, manual boxes, audio ranges), the job's state and progress.
- `DerivedObject`: a stored object made from an original (a redacted copy, or the signed copy a
  release publishes), under its own key with its own sha256, never the original's. Its lifecycle:
  draft -> approved (a custodian reviewed it) -> released (a second custodian approved the release);
  failed (its render failed after the object was stored: the row accounts for the locked object);
  deleted at any point (a delete marker in the store; the locked version stays until its retain-until).
- `RecordsRequest` + `RecordsRequestClip`: a public records request, who asked, when, which clips,
  when it is due, why any delay, and its state.

No foreign keys to clips on purpose (as the portal's tables): these rows must never stop the server's
own tables from being truncated (tests) or rebuilt (SQLite batch moves).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ingest_server.db import Base
from ingest_server.types import UTCDateTime, new_id, utcnow

# Redaction.state
SCANNING, REVIEW, RENDERING, RENDERED, FAILED = "scanning", "review", "rendering", "rendered", "failed"
# DerivedObject.state; FAILED_COPY: the render failed after storing its object (the row accounts for
# the locked object; it is never approved)
DRAFT, APPROVED, RELEASED, DELETED, FAILED_COPY = "draft", "approved", "released", "deleted", "failed"
# DerivedObject.kind
REDACTED, SIGNED = "redacted", "signed-release"
# RecordsRequest.state
OPEN, REQUEST_RELEASED, CLOSED = "open", "released", "closed"


class Redaction(Base):
    __tablename__ = "redactions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    clip_id: Mapped[str] = mapped_column(String(32), index=True)
    parent_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=SCANNING, index=True)
    frames_done: Mapped[int] = mapped_column(Integer, default=0)
    frames_total: Mapped[int | None] = mapped_column(Integer)
    scan_json: Mapped[str | None] = mapped_column(Text)  # width, height, frames, fps, settings, model
    tracks_json: Mapped[str] = mapped_column(Text, default="[]")  # detected tracks + thumbnail per track
    rejected_json: Mapped[str] = mapped_column(Text, default="[]")
    manual_json: Mapped[str] = mapped_column(Text, default="[]")
    audio_json: Mapped[str] = mapped_column(Text, default="[]")
    style: Mapped[str] = mapped_column(String(16), default="blur")
    error: Mapped[str | None] = mapped_column(Text)
    derived_id: Mapped[str | None] = mapped_column(String(32))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_by_id: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")


class DerivedObject(Base):
    __tablename__ = "derived_objects"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    parent_clip_id: Mapped[str] = mapped_column(String(32), index=True)
    parent_sha256: Mapped[str] = mapped_column(String(64))
    source_derived_id: Mapped[str | None] = mapped_column(String(32))  # a signed copy: the redacted copy
    redaction_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    object_key: Mapped[str] = mapped_column(String(1024))
    version_id: Mapped[str | None] = mapped_column(String(1024))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    provenance_json: Mapped[str] = mapped_column(Text)
    provenance_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=DRAFT, index=True)
    retain_until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_by_id: Mapped[str | None] = mapped_column(String(32))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_approved_by: Mapped[str | None] = mapped_column(String(200))
    release_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(200))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delete_reason: Mapped[str | None] = mapped_column(Text)


class RecordsRequest(Base):
    __tablename__ = "records_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    requester: Mapped[str] = mapped_column(String(300))  # who asked (a person or an organisation)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    delay_reason: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    package_path: Mapped[str | None] = mapped_column(Text)
    package_sha256: Mapped[str | None] = mapped_column(String(64))


class RecordsRequestClip(Base):
    __tablename__ = "records_request_clips"

    request_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    clip_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
