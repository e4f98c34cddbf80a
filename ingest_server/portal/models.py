"""Console credentials and sessions.

A credential row per user who may sign in with a password: the scrypt hash with
its own salt, and the failed-attempt counter and lock that CJIS asks for (5
failures lock the account for 10 minutes). A console session is a random id in a
cookie; only its SHA-256 is stored, with the last time it was used (30 minutes
idle ends it). Ids of users are plain strings, not foreign keys, so the server's
own tables can be truncated or migrated without touching these.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ingest_server.db import Base
from ingest_server.types import UTCDateTime, utcnow


class PortalCredential(Base):
    __tablename__ = "portal_credentials"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PortalSession(Base):
    __tablename__ = "portal_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(200))
