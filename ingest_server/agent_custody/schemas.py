"""The agent's custody events and device key over the API (docs/custody_events.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SignedEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payload: dict[str, Any] = Field(
        description="What the car signed: format, seq, kind, at, clip_sha256, ..."
    )
    signature: str = Field(
        max_length=200, description="base64 Ed25519 signature over the canonical JSON of payload"
    )


class CustodyEventsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[SignedEventIn] = Field(min_length=1, max_length=1000)


class CustodyEventsOut(BaseModel):
    recorded: int = Field(description="events added to the clip's audit now")
    already: int = Field(description="events the server already held (a re-send)")


class DeviceKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public_key_pem: str = Field(
        max_length=1000, description="the device's Ed25519 public key, PEM (SubjectPublicKeyInfo)"
    )


class DeviceKeyOut(BaseModel):
    fingerprint: str = Field(description="sha256: and the hex SHA-256 of the raw 32-byte public key")
    registered_at: str
