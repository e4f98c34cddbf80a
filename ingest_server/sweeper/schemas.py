"""The sweeper API's response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class SweepOut(BaseModel):
    dry_run: bool
    planned: list[str]
    deleted: list[str]
    lines: list[str]


class CertificateOut(BaseModel):
    id: str
    clip_id: str
    sha256: str
    size: int
    certificate_key: str
    deleted_at: datetime
    body: dict
