"""The derived-copies and records-requests API's responses (read-only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class DerivedOut(BaseModel):
    id: str
    parent_clip_id: str
    parent_sha256: str = Field(description="the original's sha256: the copy was made from these bytes")
    kind: str = Field(description="redacted, or signed-release (the redacted copy with Content Credentials)")
    state: str = Field(description="draft, approved, released, failed or deleted")
    sha256: str
    size: int
    provenance_sha256: str = Field(description="sha256 of the provenance record's exact bytes")
    provenance_url: str = Field(description="the provenance record, byte for byte")
    redaction_id: str | None
    source_derived_id: str | None = Field(description="a signed copy: the redacted copy it signs")
    retain_until: datetime = Field(description="locked in the store until then")
    created_at: datetime
    requested_by: str
    requested_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    release_approved_by: str | None
    release_approved_at: datetime | None
    deleted_by: str | None
    deleted_at: datetime | None
    delete_reason: str | None


class DerivedDetail(DerivedOut):
    provenance: dict = Field(description="the provenance record, parsed")


class DerivedList(BaseModel):
    clip_id: str
    items: list[DerivedOut]


class RequestClip(BaseModel):
    clip_id: str
    released_copy_id: str | None = Field(description="the clip's released signed copy, if any")
    released_copy_sha256: str | None


class RecordsRequestOut(BaseModel):
    id: str
    requester: str
    received_at: datetime
    due_at: datetime
    seconds_left: float = Field(description="until due_at, negative when overdue (at the server's clock)")
    overdue: bool
    description: str
    delay_reason: str | None
    state: str = Field(description="open, released or closed")
    recorded_by: str
    recorded_at: datetime
    released_at: datetime | None
    package_sha256: str | None
    clip_ids: list[str]


class RecordsRequestDetail(RecordsRequestOut):
    clips: list[RequestClip]


class RecordsRequestList(BaseModel):
    items: list[RecordsRequestOut] = Field(description="open requests, soonest due first")
