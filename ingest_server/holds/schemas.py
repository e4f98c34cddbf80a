"""The legal hold API's request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ingest_server.holds.models import Hold
from ingest_server.schemas_common import CLIP_ID_PATTERN, text


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clip_id: str = Field(pattern=CLIP_ID_PATTERN)
    matter: text(200, 1) = Field(description="the case, suit or request the hold is for")
    reason: text(1000, 1)


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: text(1000, 1)


class HoldPublic(BaseModel):
    id: str
    clip_id: str
    matter: str
    reason: str
    placed_by: str
    placed_at: datetime
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None

    @classmethod
    def of(cls, hold: Hold) -> HoldPublic:
        return cls(**{name: getattr(hold, name) for name in cls.model_fields})
