"""Retention state the server applies, and the changes waiting for a second custodian.

- `ClipRetention`: per clip, the last decision (retain-until, floor, legal hold,
  reasons, policy version) and what the store was told (`store_retain_until`,
  `store_legal_hold`). The database is the source of truth: moto cannot read a
  retention back, and a real store refuses a shortening anyway.
- `RetentionPolicyRow`: every policy that took effect, newest last (none: the
  shipped `retention/policy.toml`).
- `ChangeRequest`: a change that shortens retention, its dry run, and its
  approvals; applied only once a different custodian approves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ingest_server.db import Base
from ingest_server.types import UTCDateTime, new_id, utcnow

PENDING, APPLIED, REJECTED = "pending", "applied", "rejected"


class ClipRetention(Base):
    __tablename__ = "clip_retention"

    clip_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    retain_at_least_until: Mapped[datetime] = mapped_column(UTCDateTime)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    deletable: Mapped[bool] = mapped_column(Boolean, default=False)
    categories_json: Mapped[str] = mapped_column(Text, default="[]")
    reasons_json: Mapped[str] = mapped_column(Text, default="[]")
    policy_version: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    store_retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    store_legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class RetentionPolicyRow(Base):
    __tablename__ = "retention_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(100))
    toml_text: Mapped[str] = mapped_column(Text)
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_by: Mapped[str] = mapped_column(String(200))
    approvals_json: Mapped[str] = mapped_column(Text, default="[]")


class ChangeRequest(Base):
    __tablename__ = "retention_change_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))  # category, unlink, hold_release, report_status, policy
    params_json: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    dry_run_json: Mapped[str] = mapped_column(Text, default="[]")
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_by_id: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    approvals_json: Mapped[str] = mapped_column(Text, default="[]")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
