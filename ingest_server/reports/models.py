"""Use-of-force report rows.

A report keeps its incident window, place, status, force types and one entry per
person subjected to force (JSON, validated by `reports.schemas`). The officers and
vehicles on a report are also kept one per row in `report_members`, indexed, so a
newly stored clip finds the reports it may belong to without reading them all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ingest_server.db import Base
from ingest_server.types import UTCDateTime, new_id, utcnow

OPEN, UNDER_REVIEW, CLOSED = "open", "under_review", "closed"
REPORT_STATUSES = (OPEN, UNDER_REVIEW, CLOSED)
OFFICER, VEHICLE = "officer", "vehicle"


class Report(Base):
    __tablename__ = "uof_reports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    incident_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    incident_end: Mapped[datetime] = mapped_column(UTCDateTime)
    town: Mapped[str] = mapped_column(String(100), index=True)
    location: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    inspector_general: Mapped[bool] = mapped_column(Boolean, default=False)
    ig_released_by_json: Mapped[str] = mapped_column(Text, default="[]")
    officers_json: Mapped[str] = mapped_column(Text, default="[]")
    vehicles_json: Mapped[str] = mapped_column(Text, default="[]")
    force_types_json: Mapped[str] = mapped_column(Text, default="[]")
    subjects_json: Mapped[str] = mapped_column(Text, default="[]")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportMember(Base):
    """One officer or vehicle on a report (kind 'officer' or 'vehicle')."""

    __tablename__ = "uof_report_members"
    __table_args__ = (Index("ix_uof_report_members_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("uof_reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))
