"""User and device schemas: Create (in), Public (out), and the once-shown token."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ingest_server.auth.roles import USER_ROLES
from ingest_server.schemas_common import text

ROLE_PATTERN = "^(" + "|".join(r.value for r in USER_ROLES) + ")$"


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: text(100, 1)
    role: str = Field(pattern=ROLE_PATTERN)
    officer_id: text(64, 1) | None = None


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    username: str
    role: str
    officer_id: str | None
    disabled: bool
    created_at: datetime


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: text(100, 1)
    vehicle_id: text(64, 1) | None = None


class DevicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    vehicle_id: str | None
    disabled: bool
    enrolled_at: datetime
    enrolled_by: str | None


class UserCreated(BaseModel):
    user: UserPublic
    token: str = Field(description="shown once; the server keeps only its SHA-256")


class DeviceEnrolled(BaseModel):
    device: DevicePublic
    token: str = Field(description="shown once; the server keeps only its SHA-256")


class Me(BaseModel):
    kind: str
    id: str
    name: str
    role: str
    officer_id: str | None
    vehicle_id: str | None
