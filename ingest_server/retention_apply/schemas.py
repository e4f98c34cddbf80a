"""Schemas for retention: a clip's decision, change requests, approvals, policy."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ingest_server.retention_apply.models import ChangeRequest, ClipRetention
from ingest_server.schemas_common import text


class ChangeRequestPublic(BaseModel):
    id: str
    kind: str
    description: str
    status: str = Field(description="pending, applied or rejected")
    dry_run: list[str] = Field(description="each clip whose retention would shorten, in words")
    becomes_deletable: list[str]
    requested_by: str
    requested_at: datetime
    approvals: list[dict]
    decided_at: datetime | None

    @classmethod
    def of(cls, row: ChangeRequest) -> ChangeRequestPublic:
        lines = json.loads(row.dry_run_json)
        return cls(
            id=row.id,
            kind=row.kind,
            description=row.description,
            status=row.status,
            dry_run=[line["text"] for line in lines],
            becomes_deletable=[
                line["clip_id"] for line in lines if line.get("deletable") and line["clip_id"]
            ],
            requested_by=row.requested_by,
            requested_at=row.requested_at,
            approvals=json.loads(row.approvals_json),
            decided_at=row.decided_at,
        )


class PendingChange(BaseModel):
    detail: str
    change: ChangeRequestPublic


class RetentionPublic(BaseModel):
    clip_id: str
    retain_until: datetime | None = Field(description="None while something keeps the clip without end")
    retain_at_least_until: datetime
    store_retain_until: datetime | None = Field(
        description="the Object Lock retain-until the store was given"
    )
    legal_hold: bool
    deletable: bool
    categories: list[str]
    reasons: list[str]
    policy_version: str
    decided_at: datetime
    deleted_at: datetime | None

    @classmethod
    def of(cls, row: ClipRetention) -> RetentionPublic:
        return cls(
            clip_id=row.clip_id,
            retain_until=row.retain_until,
            retain_at_least_until=row.retain_at_least_until,
            store_retain_until=row.store_retain_until,
            legal_hold=row.legal_hold,
            deletable=row.deletable,
            categories=json.loads(row.categories_json),
            reasons=json.loads(row.reasons_json),
            policy_version=row.policy_version,
            decided_at=row.decided_at,
            deleted_at=row.deleted_at,
        )

    @classmethod
    def of_decision(cls, decision) -> RetentionPublic:
        return cls(
            clip_id=decision.clip_id,
            retain_until=decision.retain_until,
            retain_at_least_until=decision.retain_at_least_until,
            store_retain_until=None,
            legal_hold=decision.legal_hold,
            deletable=decision.deletable,
            categories=list(decision.categories),
            reasons=list(decision.reasons),
            policy_version=decision.policy_version,
            decided_at=decision.decided_at,
            deleted_at=None,
        )


class CategoryChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: text(64, 1) = Field(description="a category of the retention policy in force")
    reason: text(1000, 1)


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool = True
    note: text(1000) = ""


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    toml: text(200_000, 1) = Field(description="the whole policy file (TOML), see docs/retention.md")


class PolicyDryRun(BaseModel):
    applied: bool
    lines: list[str]
    change: ChangeRequestPublic | None = None


class PolicyPublic(BaseModel):
    version: str
    toml: str | None
    categories: dict[str, str]
