"""End to end: a clip linked to an open report survives sweeps; after the report
closes (with a second custodian's approval) and its 4 years pass, a dry run lists
it, the sweep deletes it, and the certificate is in the database and the store,
and the audit log shows the deletion."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from ingest_server.audit.verify import verify_chain
from tests.ingest_server.records_helpers import report_body, upload_at
from tests.support.clock import START

# The server's clock travels years here (from 2010): on moto, see the time_travel marker.
pytestmark = pytest.mark.time_travel


def _sweep(client, auth, dry_run: bool):
    response = (
        client.get("/api/v1/retention/sweep", headers=auth)
        if dry_run
        else client.post("/api/v1/retention/sweep", headers=auth)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_linked_clip_is_kept_while_open_then_swept_with_a_certificate(client, ctx, people, clock, custodian2):
    custodian, device = people.auth("custodian"), people.auth("device")
    incident = START - timedelta(hours=1)
    clip_id = upload_at(client, device, incident - timedelta(minutes=2), minutes=4, officer_id="B1234")
    other_id = upload_at(client, device, incident + timedelta(hours=3), minutes=4, officer_id="B1234", seed=1)

    made = client.post(
        "/api/v1/reports",
        headers=custodian,
        json=report_body("UOF-2010-0001", incident, incident + timedelta(minutes=20)),
    )
    assert made.status_code == 201, made.text
    report = made.json()
    links = client.get(f"/api/v1/reports/{report['id']}/clips", headers=custodian).json()
    assert [link["clip_id"] for link in links] == [clip_id]  # the clip 3 hours later is not linked
    assert "officer B1234 is on report UOF-2010-0001" in links[0]["reason"]
    held = client.get(f"/api/v1/retention/clips/{clip_id}", headers=custodian).json()
    assert held["retain_until"] is None and any("is open" in r for r in held["reasons"])

    # Years pass with the report open: the linked clip stays, the unlinked one goes.
    clock.advance(days=5 * 365)
    plan = _sweep(client, custodian, dry_run=True)
    assert clip_id not in plan["planned"] and other_id in plan["planned"]
    swept = _sweep(client, custodian, dry_run=False)
    assert swept["deleted"] == [other_id]
    assert ctx.storage.head(*_key_version(ctx, clip_id)).size == 4096

    # Closing shortens the clip's retention: it waits for a second, different custodian.
    closing = client.patch(
        f"/api/v1/reports/{report['id']}",
        headers=custodian,
        json={"status": "closed", "reason": "investigation complete"},
    )
    assert closing.status_code == 202, closing.text
    change = closing.json()["change"]
    assert any(clip_id in line for line in change["dry_run"])
    own = client.post(f"/api/v1/retention/changes/{change['id']}/approve", headers=custodian, json={})
    assert own.status_code == 409
    assert client.get(f"/api/v1/reports/{report['id']}", headers=custodian).json()["status"] == "open"
    approved = client.post(
        f"/api/v1/retention/changes/{change['id']}/approve", headers=custodian2, json={"note": "checked"}
    )
    assert approved.status_code == 200 and approved.json()["status"] == "applied", approved.text
    closed = client.get(f"/api/v1/reports/{report['id']}", headers=custodian).json()
    assert closed["status"] == "closed" and closed["closed_at"].startswith(clock().date().isoformat())

    # Not yet 4 years after closing: still kept.
    clock.advance(days=4 * 365 - 2)
    assert clip_id not in _sweep(client, custodian, dry_run=True)["planned"]
    clock.advance(days=3)
    assert _sweep(client, custodian, dry_run=True)["planned"] == [clip_id]
    assert ctx.storage.head(*_key_version(ctx, clip_id)).size == 4096  # a dry run deletes nothing

    swept = _sweep(client, custodian, dry_run=False)
    assert swept["deleted"] == [clip_id], swept["lines"]
    key, version = _key_version(ctx, clip_id)
    with pytest.raises(ClientError):
        ctx.storage.head(key, version)

    certificate = client.get(f"/api/v1/retention/certificates/{clip_id}", headers=custodian)
    assert certificate.status_code == 200
    body = certificate.json()["body"]
    clip = client.get(f"/api/v1/clips/{clip_id}", headers=custodian).json()
    assert body["sha256"] == clip["sha256"] and body["size"] == 4096 and body["clip_id"] == clip_id
    assert "use_of_force" in body["categories"] and body["policy_version"]
    assert body["approvals"] and body["approvals"][0]["approvals"][0]["by"] == "user:custodian2"
    stored = ctx.storage.client.get_object(Bucket=ctx.storage.bucket, Key=f"certificates/{clip_id}.json")
    assert json.loads(stored["Body"].read()) == body
    assert clip["state"] == "deleted"
    found = client.get("/api/v1/clips", params={"state": "deleted"}, headers=custodian).json()["items"]
    assert {c["id"] for c in found} == {clip_id, other_id}, "a custodian can find what the sweeper deleted"

    with ctx.sessions() as session:
        events = (
            session.execute(
                select(AuditEvent).where(
                    AuditEvent.object_id == clip_id, AuditEvent.event_type == "clip.deleted"
                )
            )
            .scalars()
            .all()
        )
        assert len(events) == 1 and json.loads(events[0].detail)["sha256"] == clip["sha256"]
        assert verify_chain(session=session).ok
        trail = session.execute(select(AuditEvent).where(AuditEvent.object_id == clip_id)).scalars().all()
        kinds = {e.event_type: e for e in trail}
        # CJIS fields on every event; what a request caused names the request's address
        assert all(e.occurred_at and e.actor and e.outcome and e.source for e in trail)
        assert (
            kinds["link.created"].source == "testclient" and kinds["link.created"].actor == "user:custodian1"
        )
    again = _sweep(client, custodian, dry_run=False)
    assert again["planned"] == [] and again["deleted"] == []


def _key_version(ctx, clip_id: str) -> tuple[str, str | None]:
    from ingest_server.clips.models import Clip

    with ctx.sessions() as session:
        clip = session.get(Clip, clip_id)
        return clip.object_key, clip.version_id
