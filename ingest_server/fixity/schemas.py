"""The fixity API's response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class FixityRunOut(BaseModel):
    run_id: str
    checked: int  # clips
    related_checked: int  # their related files (sidecars), checked with them
    ok: int
    mismatches: list[str]


class FixityMismatch(BaseModel):
    clip_id: str
    checked_at: datetime
    expected_sha256: str
    actual_sha256: str | None
    problem: str | None


class FixityStatusOut(BaseModel):
    last_run: str | None
    last_checked_at: datetime | None
    mismatches: list[FixityMismatch]
