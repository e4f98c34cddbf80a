"""Stored alignments: derived facts about two clips, never edits of either.

A row names both clips by id and SHA-256, the numbers of the result (offset,
drift, their uncertainties at about 95 %, the reference media time, the
confidence and how many windows agreed) or why the pair could not be aligned,
the method, its version and every parameter, when it ran and which job ran it.
`state` is `proposed` until a custodian accepts or rejects it (with who, when
and why); only accepted alignments move the report's timeline. A later accepted
alignment of the same pair supersedes the earlier one (`superseded`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ingest_server.db import Base
from ingest_server.types import UTCDateTime, new_id, utcnow


class AlignmentState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class ClipAlignment(Base):
    __tablename__ = "clip_alignments"
    __table_args__ = (Index("ix_clip_alignments_pair", "clip_a_id", "clip_b_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    report_id: Mapped[str | None] = mapped_column(String(32), index=True)  # whose job found it
    clip_a_id: Mapped[str] = mapped_column(String(32))
    clip_b_id: Mapped[str] = mapped_column(String(32))
    clip_a_sha256: Mapped[str] = mapped_column(String(64))
    clip_b_sha256: Mapped[str] = mapped_column(String(64))
    aligned: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")  # why not aligned, in words
    offset_s: Mapped[float | None] = mapped_column(Float)  # t_B - t_A at reference_s
    drift_ppm: Mapped[float | None] = mapped_column(Float)
    reference_s: Mapped[float | None] = mapped_column(Float)  # media time of A
    offset_uncertainty_s: Mapped[float | None] = mapped_column(Float)
    drift_uncertainty_ppm: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float)
    windows_used: Mapped[int | None] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    parameters: Mapped[dict] = mapped_column(JSON)
    detail: Mapped[dict] = mapped_column(JSON)  # Alignment.as_dict(): every field of the result
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    job_id: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=AlignmentState.PROPOSED)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
