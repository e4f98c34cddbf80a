"""The alignment API's bodies and responses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ingest_server.jobs.schemas import JobOut


class AlignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    report_id: str | None
    clip_a_id: str
    clip_b_id: str
    clip_a_sha256: str
    clip_b_sha256: str
    aligned: bool
    reason: str
    offset_s: float | None
    drift_ppm: float | None
    reference_s: float | None
    offset_uncertainty_s: float | None
    drift_uncertainty_ppm: float | None
    confidence: float | None
    windows_used: int | None
    method: str
    version: str
    parameters: dict
    ran_at: datetime
    job_id: str | None
    state: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    sentence: str = ""


class AlignmentList(BaseModel):
    alignments: list[AlignmentOut]
    job: JobOut | None = None  # the report's latest alignment job


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accept: bool
    reason: str = Field(min_length=1, max_length=1000)
