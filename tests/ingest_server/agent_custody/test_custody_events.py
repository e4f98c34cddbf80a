"""The car's signed custody events on the server: the device key registered once, each event's
signature checked against it, kept in the clip's audit, a re-send recognised, a forgery refused."""

from __future__ import annotations

import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from edge_agent.core.device_key import DeviceKey
from ingest_server.audit.models import AuditEvent
from ingest_server.devices import keys
from tests.ingest_server.helpers import clip_bytes, upload


def _payload(seq: int, kind: str, clip_sha256: str, key: DeviceKey, **details) -> dict:
    return {
        "format": "evidence-agent-custody/1",
        "seq": seq,
        "kind": kind,
        "at": f"2026-12-01T10:00:0{seq}.000+00:00",
        "clip_sha256": clip_sha256,
        "camera_serial": "SN1",
        "vehicle_id": "V17",
        "key_fingerprint": key.fingerprint,
        "details": details,
    }


def _signed(key: DeviceKey, *payloads: dict) -> dict:
    return {"events": [{"payload": p, "signature": key.sign(p)} for p in payloads]}


def _agent_events(ctx, clip_id: str) -> list[AuditEvent]:
    with ctx.sessions() as session:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.object_id == clip_id, AuditEvent.component == "agent")
        )
        return list(rows.scalars())


def _stored_clip(client, people) -> tuple[str, str]:
    data = clip_bytes(50_000, seed=3)
    reg, _ = upload(client, people.auth("device"), data)
    return reg["clip_id"], hashlib.sha256(data).hexdigest()


def test_the_device_key_is_kept_once_and_a_different_one_refused_until_reset(client, people, ctx):
    car = people.auth("device")
    first, other = DeviceKey(Ed25519PrivateKey.generate()), DeviceKey(Ed25519PrivateKey.generate())

    def put(key):
        return client.put("/api/v1/devices/me/key", headers=car, json={"public_key_pem": key.public_pem})

    assert put(first).status_code == 200 and put(first).json()["fingerprint"] == first.fingerprint
    refused = put(other)
    assert refused.status_code == 409 and "already has key" in refused.json()["detail"]
    with ctx.sessions() as session:
        keys.reset(session=session, name="car-17", actor="admin1")
    assert put(other).json()["fingerprint"] == other.fingerprint
    assert put(first).status_code == 409, "a reset key is never accepted again"
    with ctx.sessions() as session:
        kinds = [
            e.event_type
            for e in session.execute(select(AuditEvent).where(AuditEvent.component == "devices")).scalars()
        ]
    assert kinds == [
        "device.key_registered",
        "device.key_refused",
        "device.key_reset",
        "device.key_registered",
        "device.key_refused",
    ]
    bad = client.put("/api/v1/devices/me/key", headers=car, json={"public_key_pem": "not a key"})
    assert bad.status_code == 422 and "not a PEM public key" in bad.json()["detail"]


def test_signed_events_land_in_the_clip_audit_once_even_when_sent_again(client, people, ctx):
    clip_id, sha = _stored_clip(client, people)
    key = DeviceKey(Ed25519PrivateKey.generate())
    car = people.auth("device")
    client.put("/api/v1/devices/me/key", headers=car, json={"public_key_pem": key.public_pem})
    first = [_payload(1, "docked", sha, key), _payload(2, "copy_finished", sha, key, sha256=sha)]
    sent = client.post(f"/api/v1/clips/{clip_id}/custody-events", headers=car, json=_signed(key, *first))
    assert sent.status_code == 200 and sent.json() == {"recorded": 2, "already": 0}, sent.text
    # the car lost power before journaling the answer: it sends the same again, with a release event
    release = _payload(3, "camera_copy_deleted", sha, key, reason="deleted from camera after receipt")
    again = client.post(
        f"/api/v1/clips/{clip_id}/custody-events", headers=car, json=_signed(key, *first, release)
    )
    assert again.json() == {"recorded": 1, "already": 2}
    events = _agent_events(ctx, clip_id)
    assert [e.event_type for e in events] == [
        "agent.docked",
        "agent.copy_finished",
        "agent.camera_copy_deleted",
    ]
    detail = json.loads(events[1].detail)
    assert detail["payload"] == first[1] and detail["signature"] == key.sign(first[1])
    assert events[1].actor == "device:car-17"

    changed = dict(first[0], at="2026-12-01T11:00:00.000+00:00")
    clash = client.post(f"/api/v1/clips/{clip_id}/custody-events", headers=car, json=_signed(key, changed))
    assert clash.status_code == 409 and "already recorded with other content" in clash.json()["detail"]


def test_a_forged_or_misdirected_event_is_refused_naming_it_and_nothing_is_kept(client, people, ctx):
    clip_id, sha = _stored_clip(client, people)
    key, forger = DeviceKey(Ed25519PrivateKey.generate()), DeviceKey(Ed25519PrivateKey.generate())
    car = people.auth("device")
    url = f"/api/v1/clips/{clip_id}/custody-events"
    no_key = client.post(url, headers=car, json=_signed(key, _payload(1, "docked", sha, key)))
    assert no_key.status_code == 409 and "no registered key" in no_key.json()["detail"]
    client.put("/api/v1/devices/me/key", headers=car, json={"public_key_pem": key.public_pem})

    good = _payload(1, "docked", sha, key)
    forged = dict(_payload(2, "copy_finished", sha, key, sha256=sha))
    body = _signed(key, good, forged)
    body["events"][1]["signature"] = forger.sign(forged)
    refused = client.post(url, headers=car, json=body)
    assert refused.status_code == 422
    assert (
        "event 2 (copy_finished): its signature is not valid for the device's key" in refused.json()["detail"]
    )
    edited = _signed(key, good)
    edited["events"][0]["payload"] = dict(good, at="2026-12-01T09:00:00.000+00:00")  # signed before the edit
    assert "event 1 (docked): its signature is not valid" in client.post(url, headers=car, json=edited).text
    other_clip = client.post(url, headers=car, json=_signed(key, _payload(1, "docked", "a" * 64, key)))
    assert other_clip.status_code == 422 and f"this clip is {sha}" in other_clip.json()["detail"]
    unknown = client.post(url, headers=car, json=_signed(key, _payload(1, "teleported", sha, key)))
    assert unknown.status_code == 422 and "unknown kind 'teleported'" in unknown.json()["detail"]
    not_theirs = client.post(url, headers=people.auth("device2"), json=_signed(key, good))
    assert not_theirs.status_code == 403 and "not uploaded by device car-18" in not_theirs.json()["detail"]

    events = _agent_events(ctx, clip_id)
    assert {e.event_type for e in events} == {"agent.custody_refused"} and len(events) == 4
    assert all(e.outcome == "failure" for e in events)
