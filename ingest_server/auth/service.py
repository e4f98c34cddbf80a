"""Who is calling: resolve a bearer token to a principal; create users and devices.

Tokens are looked up by their SHA-256; the token itself is never stored. A failed
lookup is reported to the caller as 401 and lands in the audit log (as every
request does) with the token's hash prefix, so repeated guessing is visible.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.auth.models import User
from ingest_server.auth.roles import USER_ROLES, Role
from ingest_server.auth.tokens import DEVICE_PREFIX, USER_PREFIX, new_token, token_hash
from ingest_server.devices.models import Device


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "device"
    id: str
    name: str
    role: Role
    officer_id: str | None = None
    vehicle_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


class DuplicateNameError(ValueError):
    pass


def principal_for_token(*, session: Session, token: str) -> Principal | None:
    digest = token_hash(token)
    if token.startswith(DEVICE_PREFIX):
        device = session.execute(select(Device).where(Device.token_hash == digest)).scalar_one_or_none()
        if device is None or device.disabled:
            return None
        return Principal("device", device.id, device.name, Role.DEVICE, vehicle_id=device.vehicle_id)
    user = session.execute(select(User).where(User.token_hash == digest)).scalar_one_or_none()
    if user is None or user.disabled:
        return None
    return Principal("user", user.id, user.username, Role(user.role), officer_id=user.officer_id)


def create_user(
    *,
    session: Session,
    username: str,
    role: str,
    officer_id: str | None,
    actor: str,
    source: str | None = None,
) -> tuple[User, str]:
    """Create a user and return it with its token (shown once, stored hashed). Commits."""
    if role not in USER_ROLES:
        raise ValueError(f"unknown role {role!r}; one of: {', '.join(USER_ROLES)}")
    if session.execute(select(User).where(User.username == username)).first():
        raise DuplicateNameError(f"user {username!r} already exists")
    token = new_token(USER_PREFIX)
    user = User(username=username, role=role, officer_id=officer_id, token_hash=token_hash(token))
    session.add(user)
    session.flush()
    audit.append(
        session=session,
        component="auth",
        event_type="user.created",
        actor=actor,
        outcome="success",
        object_type="user",
        object_id=user.id,
        source=source,
        detail={"username": username, "role": role, "officer_id": officer_id},
    )
    session.commit()
    return user, token


def enroll_device(
    *, session: Session, name: str, vehicle_id: str | None, actor: str, source: str | None = None
) -> tuple[Device, str]:
    """Enroll an edge agent and return it with its token (shown once, stored hashed). Commits."""
    if session.execute(select(Device).where(Device.name == name)).first():
        raise DuplicateNameError(f"device {name!r} is already enrolled")
    token = new_token(DEVICE_PREFIX)
    device = Device(name=name, vehicle_id=vehicle_id, token_hash=token_hash(token), enrolled_by=actor)
    session.add(device)
    session.flush()
    audit.append(
        session=session,
        component="auth",
        event_type="device.enrolled",
        actor=actor,
        outcome="success",
        object_type="device",
        object_id=device.id,
        source=source,
        detail={"name": name, "vehicle_id": vehicle_id},
    )
    session.commit()
    return device, token


def disable(*, session: Session, kind: str, name: str, actor: str, source: str | None = None) -> None:
    """Revoke a user's or device's token (a stolen car, a leaver). Commits; audited."""
    model, column = (Device, Device.name) if kind == "device" else (User, User.username)
    row = session.execute(select(model).where(column == name)).scalar_one_or_none()
    if row is None:
        raise LookupError(f"no {kind} named {name!r}")
    row.disabled = True
    audit.append(
        session=session,
        component="auth",
        event_type=f"{kind}.disabled",
        actor=actor,
        outcome="success",
        object_type=kind,
        object_id=row.id,
        source=source,
        detail={"name": name},
    )
    session.commit()
