"""The agent's custody events, checked and added to the clip's audit.

`record(...)` takes what a device posts for one clip after its receipt: each
event is the payload the car signed (format in docs/custody_events.md) and its
Ed25519 signature. All of a post is checked before any of it is kept:

- the clip exists and was uploaded by this device (another device's clip is refused);
- the device has a registered key (`devices/keys.py`), the payload names that key,
  and the signature is valid for it over the canonical JSON of the payload;
- the payload is well formed, of a known kind, and about this clip's SHA-256.

A post with a bad event is refused whole, naming each bad event, and the refusal
is audited (`agent.custody_refused`). A good event becomes one audit event of the
clip (component "agent", event type "agent.<kind>", detail = the signed payload
and its signature, so the audit chain and the court package carry both). An
event the server already holds (same device and car sequence, same payload) is
recognised and not added again; the same sequence with other content is a conflict.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ingest_server.agent_custody.models import AgentCustodyEvent
from ingest_server.audit import service as audit
from ingest_server.auth.service import Principal
from ingest_server.clips.models import Clip
from ingest_server.devices import keys
from ingest_server.receipts import canonical
from ingest_server.refusals import Refused, Why

PAYLOAD_FORMAT = "evidence-agent-custody/1"
KINDS = frozenset(
    {
        "docked",
        "clock_read",
        "copy_started",
        "copy_finished",
        "segment_closed",
        "registered",
        "receipt_received",
        "upload_refused",
        "camera_copy_deleted",
        "camera_copy_moved",
        "camera_copy_kept",
        "release_refused",
        "quarantined",
    }
)
FIELDS = {
    "format": str,
    "seq": int,
    "kind": str,
    "at": str,
    "clip_sha256": str,
    "key_fingerprint": str,
    "details": dict,
}
OPTIONAL = {"camera_serial": str, "vehicle_id": str}
MAX_PAYLOAD_BYTES = 16 * 1024


class CustodyRefused(Refused):
    pass


@dataclass(frozen=True)
class Recorded:
    recorded: int
    already: int


def _shape_problem(payload: dict) -> str | None:
    for name, kind in FIELDS.items():
        value = payload.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"field {name!r} missing or not a {kind.__name__}"
    for name, kind in OPTIONAL.items():
        if payload.get(name) is not None and not isinstance(payload[name], kind):
            return f"field {name!r} is not a {kind.__name__}"
    unknown = set(payload) - set(FIELDS) - set(OPTIONAL)
    if unknown:
        return f"unknown field(s) {', '.join(sorted(unknown))}"
    if payload["format"] != PAYLOAD_FORMAT:
        return f"format {payload['format']!r} is not {PAYLOAD_FORMAT!r}"
    if payload["kind"] not in KINDS:
        return f"unknown kind {payload['kind']!r}"
    if payload["seq"] < 1:
        return "seq must be 1 or more"
    return None


def _problem(payload: dict, signature: str, *, clip: Clip, key) -> str | None:
    """Why one posted event cannot be kept, or None."""
    try:
        body = canonical(payload)
    except (TypeError, ValueError) as exc:
        return f"payload is not canonical JSON: {exc}"
    if len(body) > MAX_PAYLOAD_BYTES:
        return f"payload of {len(body)} bytes is above {MAX_PAYLOAD_BYTES}"
    shape = _shape_problem(payload)
    if shape is not None:
        return shape
    if payload["key_fingerprint"] != key.fingerprint:
        return f"signed with key {payload['key_fingerprint']}, the device's key is {key.fingerprint}"
    try:
        public, _ = keys.parse_public_key(key.public_key_pem)
        public.verify(base64.b64decode(signature, validate=True), body)
    except (InvalidSignature, ValueError):
        return f"its signature is not valid for the device's key {key.fingerprint}"
    if payload["clip_sha256"] != clip.sha256:
        return f"it is about SHA-256 {payload['clip_sha256']}, this clip is {clip.sha256}"
    return None


def _label(payload: dict, n: int) -> str:
    seq, kind = payload.get("seq"), payload.get("kind")
    return f"event {seq} ({kind})" if isinstance(seq, int) and isinstance(kind, str) else f"event #{n + 1}"


def _refuse(*, session: Session, device: Principal, clip_id: str, problems: list[str], source) -> None:
    audit.append(
        session=session,
        component="agent",
        event_type="agent.custody_refused",
        actor=device.label,
        outcome="failure",
        object_type="clip",
        object_id=clip_id,
        source=source,
        detail={"problems": problems[:20]},
    )
    session.commit()
    raise CustodyRefused(Why.INVALID, "custody events refused: " + "; ".join(problems[:20]))


def record(
    *, session: Session, device: Principal, clip_id: str, events: list[tuple[dict, str]], source: str | None
) -> Recorded:
    """Check and keep `events` [(payload, signature)] for clip `clip_id`. Commits; CustodyRefused."""
    clip = session.get(Clip, clip_id)
    if clip is None:
        raise CustodyRefused(Why.NOT_FOUND, f"no clip {clip_id}")
    if clip.device_id != device.id:
        raise CustodyRefused(Why.FORBIDDEN, f"clip {clip_id} was not uploaded by device {device.name}")
    key = keys.current(session=session, device_id=device.id)
    if key is None:
        raise CustodyRefused(
            Why.CONFLICT, f"device {device.name} has no registered key: PUT /api/v1/devices/me/key first"
        )
    problems = []
    for n, (payload, signature) in enumerate(events):
        problem = _problem(payload, signature, clip=clip, key=key)
        if problem is not None:
            problems.append(f"{_label(payload, n)}: {problem}")
    if problems:
        _refuse(session=session, device=device, clip_id=clip_id, problems=problems, source=source)
    recorded = already = 0
    for payload, signature in sorted(events, key=lambda e: e[0]["seq"]):
        digest = hashlib.sha256(canonical(payload)).hexdigest()
        held = session.get(AgentCustodyEvent, (device.id, payload["seq"]))
        if held is not None:
            if held.payload_sha256 != digest or held.clip_id != clip_id:
                session.rollback()
                raise CustodyRefused(
                    Why.CONFLICT,
                    f"event {payload['seq']} of device {device.name} is already recorded with other content",
                )
            already += 1
            continue
        event = audit.append(
            session=session,
            component="agent",
            event_type=f"agent.{payload['kind']}",
            actor=device.label,
            outcome="success",
            object_type="clip",
            object_id=clip_id,
            source=source,
            detail={"payload": payload, "signature": signature},
        )
        session.add(
            AgentCustodyEvent(
                device_id=device.id,
                seq=payload["seq"],
                clip_id=clip_id,
                payload_sha256=digest,
                audit_seq=event.seq,
            )
        )
        recorded += 1
        try:
            session.flush()
        except IntegrityError as exc:  # the same events posted twice at once: the other post keeps them
            session.rollback()
            raise CustodyRefused(Why.CONFLICT, "these events are being recorded by another request") from exc
    session.commit()
    return Recorded(recorded, already)
