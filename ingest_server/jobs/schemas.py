"""The jobs API's responses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    subject: str
    state: str
    requested_by: str
    requested_at: datetime
    attempts: int
    worker: str | None
    started_at: datetime | None
    finished_at: datetime | None
    done_steps: int
    total_steps: int | None
    step: str | None
    eta_seconds: float | None
    result: dict | None
    error: str | None


class JobList(BaseModel):
    jobs: list[JobOut]
