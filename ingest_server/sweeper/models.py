"""Deletion certificates, and the lease that lets only one process sweep at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ingest_server.db import Base
from ingest_server.types import UTCDateTime, new_id


class DeletionCertificate(Base):
    __tablename__ = "deletion_certificates"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    clip_id: Mapped[str] = mapped_column(String(32), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    categories_json: Mapped[str] = mapped_column(Text)
    policy_version: Mapped[str] = mapped_column(String(100))
    approvals_json: Mapped[str] = mapped_column(Text, default="[]")
    reasons_json: Mapped[str] = mapped_column(Text, default="[]")
    object_key: Mapped[str] = mapped_column(String(1024))
    version_id: Mapped[str | None] = mapped_column(String(1024))
    certificate_key: Mapped[str] = mapped_column(String(1024))
    certificate_version_id: Mapped[str | None] = mapped_column(String(1024))
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_by: Mapped[str] = mapped_column(String(200))
    body_json: Mapped[str] = mapped_column(Text)


class Lease(Base):
    """A named lease; a holder owns it until `expires_at` (renewed while working)."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
