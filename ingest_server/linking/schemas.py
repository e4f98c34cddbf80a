"""The link API's request and response bodies (a link itself: reports/schemas.py:LinkPublic)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ingest_server.schemas_common import CLIP_ID_PATTERN, text


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clip_id: str = Field(pattern=CLIP_ID_PATTERN)
    report_id: text(64, 1) = Field(description="report id or number")
    reason: text(1000, 1)


class Done(BaseModel):
    detail: str
