"""Linking settings (environment prefix EVIDENCE_LINKING_): the buffers around an
incident window and the longest recording the report-side search expects."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest_server.linking.matcher import Buffers


class LinkingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVIDENCE_LINKING_", extra="ignore")

    before_minutes: float = Field(5, ge=0, le=24 * 60, description="Buffer before the incident start.")
    after_minutes: float = Field(5, ge=0, le=24 * 60, description="Buffer after the incident end.")
    max_clip_hours: float = Field(
        24, gt=0, le=24 * 7, description="Recordings longer than this are found from the clip side only."
    )

    def buffers(self) -> Buffers:
        return Buffers(timedelta(minutes=self.before_minutes), timedelta(minutes=self.after_minutes))
