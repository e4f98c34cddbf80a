"""Audit event schemas for the API."""

from __future__ import annotations

import json

from pydantic import BaseModel

from ingest_server.audit.models import AuditEvent


class AuditPublic(BaseModel):
    seq: int
    occurred_at: str
    component: str
    event_type: str
    actor: str
    outcome: str
    object_type: str | None
    object_id: str | None
    source: str | None
    detail: dict
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, event: AuditEvent) -> AuditPublic:
        data = {f: getattr(event, f) for f in cls.model_fields if f != "detail"}
        return cls(**data, detail=json.loads(event.detail or "{}"))


class AuditPage(BaseModel):
    items: list[AuditPublic]
    total: int
    limit: int
    offset: int


class ChainReportOut(BaseModel):
    ok: bool
    checked: int
    broken_seq: int | None
    reason: str | None
    message: str
