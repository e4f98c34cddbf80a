"""One row per background job: what it is about, where it stands, who runs it.

The row is the job's truth (the huey message only says "run job <id>"): its
kind and subject, its state (`queued`, `running`, `done`, `failed`), progress
(`done_steps` of `total_steps`, the estimated seconds left), the worker holding
it and that worker's last heartbeat (its lease), attempts, the error in one line,
and when it was requested, started and finished. At most one job per kind and
subject is queued or running (a partial unique index, migration 0300).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ingest_server.db import Base
from ingest_server.types import UTCDateTime, new_id, utcnow


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


ACTIVE = (JobState.QUEUED, JobState.RUNNING)
_ACTIVE_SQL = "state IN ('queued', 'running')"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "uq_jobs_active_subject",
            "kind",
            "subject",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        Index("ix_jobs_state", "state"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    again: Mapped[bool] = mapped_column(Boolean, default=False)  # asked for again while running
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last message to the queue
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200))  # "host:pid" holding the lease
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_steps: Mapped[int] = mapped_column(Integer, default=0)
    total_steps: Mapped[int | None] = mapped_column(Integer)
    step: Mapped[str | None] = mapped_column(String(200))  # what it is doing now, in words
    eta_seconds: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
