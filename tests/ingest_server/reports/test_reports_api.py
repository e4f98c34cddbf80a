"""Reports API: create, get (by id or number), search, update with audit, and
clear refusals of bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from tests.ingest_server.records_helpers import NullStore, report_body

# The server's clock travels years here (from 2010): on moto, see the time_travel marker.
pytestmark = pytest.mark.time_travel

T = datetime(2026, 2, 3, 22, 10, tzinfo=UTC)


def test_create_get_search_update(client, ctx, people, clock):
    ctx.storage = NullStore()
    clock.set(T + timedelta(hours=2))
    custodian = people.auth("custodian")
    body = report_body(
        "UOF-2026-0042",
        T,
        T + timedelta(minutes=12),
        officers=["B1234", "B77"],
        vehicles=["V17"],
        force_types=["oc_spray", "pointing_firearm_launcher_cew"],
        inspector_general=False,
        subjects=[
            {
                "role": "subject",
                "age_group": "under_18",
                "race": "hispanic",
                "injured": True,
                "force_types": ["oc_spray"],
            }
        ],
    )
    made = client.post("/api/v1/reports", headers=custodian, json=body)
    assert made.status_code == 201, made.text
    report = made.json()
    assert report["subjects"][0]["minor"] is True  # an under-18 person is a minor whatever was sent
    assert (
        report["officers"] == ["B1234", "B77"] and report["status"] == "open" and report["closed_at"] is None
    )
    assert client.get("/api/v1/reports/UOF-2026-0042", headers=custodian).json()["id"] == report["id"]
    assert client.post("/api/v1/reports", headers=custodian, json=body).status_code == 409

    other = report_body(
        "UOF-2026-0043",
        T + timedelta(days=1),
        T + timedelta(days=1, minutes=3),
        town="Enfield",
        officers=["B9"],
    )
    assert client.post("/api/v1/reports", headers=custodian, json=other).status_code == 201
    by_officer = client.get("/api/v1/reports", headers=custodian, params={"officer_id": "B77"}).json()
    assert [r["number"] for r in by_officer["items"]] == ["UOF-2026-0042"]
    by_town = client.get("/api/v1/reports", headers=custodian, params={"town": "Enfield"}).json()
    assert by_town["total"] == 1 and by_town["items"][0]["number"] == "UOF-2026-0043"
    window = {
        "incident_from": (T - timedelta(hours=1)).isoformat(),
        "incident_to": (T + timedelta(hours=1)).isoformat(),
    }
    assert client.get("/api/v1/reports", headers=custodian, params=window).json()["total"] == 1

    changed = client.patch(
        f"/api/v1/reports/{report['id']}",
        headers=custodian,
        json={"status": "under_review", "town": "West Hartford", "reason": "sent to review board"},
    )
    assert changed.status_code == 200 and changed.json()["revision"] == 2
    with ctx.sessions() as session:
        event = session.execute(
            select(AuditEvent).where(
                AuditEvent.event_type == "report.updated", AuditEvent.object_id == report["id"]
            )
        ).scalar_one()
    detail = json.loads(event.detail)
    assert detail["changed"] == ["status", "town"] and detail["reason"] == "sent to review board"
    assert event.actor == "user:custodian1"


def test_bad_input_is_refused_with_a_clear_message(client, ctx, people, clock):
    ctx.storage = NullStore()
    custodian = people.auth("custodian")
    backwards = report_body("UOF-2026-0050", T, T - timedelta(minutes=1))
    refused = client.post("/api/v1/reports", headers=custodian, json=backwards)
    assert refused.status_code == 422 and "incident_end is before incident_start" in refused.json()["detail"]
    unknown = report_body("UOF-2026-0051", T, T, force_types=["taser"])
    assert client.post("/api/v1/reports", headers=custodian, json=unknown).status_code == 422
    naive = report_body("UOF-2026-0052", T, T)
    naive["incident_start"] = "2026-02-03T22:10:00"
    assert client.post("/api/v1/reports", headers=custodian, json=naive).status_code == 422
    ok = client.post("/api/v1/reports", headers=custodian, json=report_body("UOF-2026-0053", T, T))
    closing_open = client.patch(
        f"/api/v1/reports/{ok.json()['id']}", headers=custodian, json={"closed_at": T.isoformat()}
    )
    assert closing_open.status_code == 422 and "send status 'closed'" in closing_open.json()["detail"]
    assert client.get("/api/v1/reports/UOF-9999", headers=custodian).status_code == 404
