"""Legal holds on clips. A hold keeps its clip without end until released; a
released hold stays on record with who released it, when and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ingest_server.db import Base
from ingest_server.types import UTCDateTime, new_id, utcnow


class Hold(Base):
    __tablename__ = "legal_holds"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    clip_id: Mapped[str] = mapped_column(String(32), index=True)
    matter: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by: Mapped[str | None] = mapped_column(String(200))
    release_reason: Mapped[str | None] = mapped_column(Text)
