"""Links between clips and use-of-force reports, each with its reason in words.

A link is never deleted: unlinking sets `unlinked_at` with who and why, so the
history stays readable. A pair that a custodian unlinked is not linked again
automatically. `clip_id` carries no foreign key so the clip table can be managed
by its owner (a clip row is never deleted anyway: a swept clip is marked deleted).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ingest_server.db import Base
from ingest_server.types import UTCDateTime, utcnow

AUTO, MANUAL = "auto", "manual"


class ClipLink(Base):
    __tablename__ = "clip_report_links"
    __table_args__ = (Index("ix_clip_report_links_pair", "clip_id", "report_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clip_id: Mapped[str] = mapped_column(String(32), index=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("uof_reports.id"), index=True)
    origin: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    linked_by: Mapped[str] = mapped_column(String(200))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unlinked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unlinked_by: Mapped[str | None] = mapped_column(String(200))
    unlink_reason: Mapped[str | None] = mapped_column(Text)
