"""A device's custody-signing key: registered once by the device, reset only by an administrator.

The agent creates an Ed25519 key on the car and sends its public half with the
device token (`PUT /api/v1/devices/me/key`). The first key is kept; the same key
again is accepted as it is; a different key is refused (conflict) until an
administrator resets it (`evidence-server reset-device-key NAME`), which keeps
the old key, marked revoked, so events it signed can still be checked. Every
registration, refusal and reset is audited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.auth.service import Principal
from ingest_server.devices.models import Device, DeviceKey
from ingest_server.refusals import Refused, Why
from ingest_server.types import utcnow


class KeyRefused(Refused):
    pass


def parse_public_key(pem: str) -> tuple[Ed25519PublicKey, str]:
    """(the key, its fingerprint "sha256:<hex of the raw 32 bytes>"); KeyRefused when not Ed25519."""
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyRefused(Why.INVALID, f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyRefused(Why.INVALID, "the device key must be Ed25519")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key, "sha256:" + hashlib.sha256(raw).hexdigest()


def current(*, session: Session, device_id: str) -> DeviceKey | None:
    return session.execute(
        select(DeviceKey).where(DeviceKey.device_id == device_id, DeviceKey.revoked_at.is_(None))
    ).scalar_one_or_none()


def by_fingerprints(*, session: Session, fingerprints: Iterable[str]) -> list[DeviceKey]:
    wanted = sorted(set(fingerprints))
    if not wanted:
        return []
    return list(session.execute(select(DeviceKey).where(DeviceKey.fingerprint.in_(wanted))).scalars())


def _audit(session: Session, device: Principal, event_type: str, outcome: str, detail: dict, source) -> None:
    audit.append(
        session=session,
        component="devices",
        event_type=event_type,
        actor=device.label,
        outcome=outcome,
        object_type="device",
        object_id=device.id,
        source=source,
        detail=detail,
    )


def register(*, session: Session, device: Principal, public_key_pem: str, source: str | None) -> DeviceKey:
    """Record the device's key (or find it again). Commits; a different key is refused, audited."""
    _, fingerprint = parse_public_key(public_key_pem)
    held = current(session=session, device_id=device.id)
    if held is not None and held.fingerprint == fingerprint:
        return held
    detail = {"fingerprint": fingerprint, "device": device.name}
    if held is not None or by_fingerprints(session=session, fingerprints=[fingerprint]):
        reason = (
            f"device {device.name} already has key {held.fingerprint}; an administrator must reset it "
            "(evidence-server reset-device-key) before another is accepted"
            if held is not None
            else "this key was registered before and reset; a reset key is never accepted again"
        )
        _audit(session, device, "device.key_refused", "failure", {**detail, "reason": reason}, source)
        session.commit()
        raise KeyRefused(Why.CONFLICT, reason)
    key = DeviceKey(
        device_id=device.id, fingerprint=fingerprint, public_key_pem=public_key_pem.strip() + "\n"
    )
    session.add(key)
    session.flush()
    _audit(session, device, "device.key_registered", "success", detail, source)
    session.commit()
    return key


def reset(*, session: Session, name: str, actor: str) -> DeviceKey:
    """Revoke device `name`'s key so it may register a new one (the car was rebuilt). Commits; audited."""
    device = session.execute(select(Device).where(Device.name == name)).scalar_one_or_none()
    if device is None:
        raise KeyRefused(Why.NOT_FOUND, f"no device named {name!r}")
    held = current(session=session, device_id=device.id)
    if held is None:
        raise KeyRefused(Why.NOT_FOUND, f"device {name} has no key to reset")
    held.revoked_at, held.revoked_by = utcnow(), actor
    audit.append(
        session=session,
        component="devices",
        event_type="device.key_reset",
        actor=actor,
        outcome="success",
        object_type="device",
        object_id=device.id,
        detail={"fingerprint": held.fingerprint, "device": name},
    )
    session.commit()
    return held
