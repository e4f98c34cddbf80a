"""A clip stored after its report exists (a camera docked late) is linked the
moment the upload completes, with its retention applied and audited under the
uploading request's address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from tests.ingest_server.records_helpers import report_body, upload_at
from tests.support.clock import START

# The server's clock travels years here (from 2010): on moto, see the time_travel marker.
pytestmark = pytest.mark.time_travel


def test_a_late_clip_is_linked_when_it_is_stored(client, ctx, people, clock):
    custodian = people.auth("custodian")
    made = client.post(
        "/api/v1/reports",
        headers=custodian,
        json=report_body("UOF-2010-0300", START, START + timedelta(minutes=10), vehicles=["V17"]),
    )
    assert made.status_code == 201
    clock.advance(days=3)  # the car docks three days later
    clip_id = upload_at(client, people.auth("device"), START + timedelta(minutes=12), officer_id="B5555")
    reports = client.get(f"/api/v1/clips/{clip_id}/reports", headers=custodian).json()
    assert [r["report_number"] for r in reports] == ["UOF-2010-0300"]
    assert reports[0]["reason"].startswith("vehicle V17 is on report UOF-2010-0300")
    retention = client.get(f"/api/v1/retention/clips/{clip_id}", headers=custodian).json()
    assert retention["retain_until"] is None and retention["store_retain_until"] is not None
    with ctx.sessions() as session:
        events = session.execute(select(AuditEvent).where(AuditEvent.object_id == clip_id)).scalars().all()
    linked = [e for e in events if e.event_type == "link.created"]
    assert len(linked) == 1 and linked[0].actor == "system:linking" and linked[0].source == "testclient"
