"""Authorization: custodians write reports, links, holds and retention; auditors
read; troopers, prosecutors and devices change nothing; every denial is audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ingest_server.audit.models import AuditEvent
from ingest_server.holds.models import Hold
from ingest_server.linking.models import ClipLink
from ingest_server.reports.models import Report
from ingest_server.retention_apply.models import ChangeRequest
from tests.ingest_server.records_helpers import NullStore, device_id, insert_clip, report_body

# The server's clock travels years here (from 2010): on moto, see the time_travel marker.
pytestmark = pytest.mark.time_travel

T = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
POLICY = (
    __import__("retention")
    .DEFAULT_POLICY_PATH.read_text()
    .replace('version = "2026-11-24.1"', 'version = "x.2"')
)


@pytest.fixture
def world(client, ctx, people, clock):
    ctx.storage = NullStore()
    clock.set(T + timedelta(days=1))
    custodian = people.auth("custodian")
    with ctx.sessions() as session:
        clip = insert_clip(
            session, device_id(session), officer="B1234", vehicle=None, start=T, end=T + timedelta(minutes=3)
        )
        spare = insert_clip(
            session, device_id(session), officer="B7", vehicle=None, start=T, end=T + timedelta(minutes=3)
        )
        session.commit()
        clip_id, spare_id = clip.id, spare.id
    report = client.post(
        "/api/v1/reports", headers=custodian, json=report_body("UOF-2025-0001", T, T + timedelta(minutes=5))
    )
    hold = client.post(
        "/api/v1/holds",
        headers=custodian,
        json={"clip_id": clip_id, "matter": "Doe v. State", "reason": "suit"},
    )
    assert report.status_code == 201 and hold.status_code == 201
    release = client.post(
        f"/api/v1/holds/{hold.json()['id']}/release", headers=custodian, json={"reason": "settled"}
    )
    assert release.status_code == 202  # the only hold: its release waits for a second custodian
    return {
        "clip": clip_id,
        "spare": spare_id,
        "report": report.json()["id"],
        "hold": hold.json()["id"],
        "change": release.json()["change"]["id"],
    }


def _writes(w):
    return [
        ("POST", "/api/v1/reports", report_body("UOF-2025-0999", T, T + timedelta(minutes=1))),
        ("PATCH", f"/api/v1/reports/{w['report']}", {"town": "Enfield", "reason": "typo"}),
        ("POST", f"/api/v1/reports/{w['report']}/ig-release", None),
        ("POST", "/api/v1/links", {"clip_id": w["spare"], "report_id": w["report"], "reason": "CAD"}),
        ("POST", "/api/v1/links/unlink", {"clip_id": w["clip"], "report_id": w["report"], "reason": "x"}),
        ("POST", "/api/v1/holds", {"clip_id": w["spare"], "matter": "m", "reason": "r"}),
        ("POST", f"/api/v1/holds/{w['hold']}/release", {"reason": "r"}),
        ("PUT", f"/api/v1/retention/clips/{w['clip']}/category", {"category": "evidentiary", "reason": "r"}),
        ("POST", f"/api/v1/retention/changes/{w['change']}/approve", {}),
        ("POST", "/api/v1/retention/policy", {"toml": POLICY}),
        ("POST", "/api/v1/retention/policy/dry-run", {"toml": POLICY}),
        ("POST", "/api/v1/retention/sweep", None),
        ("POST", "/api/v1/fixity/check", None),
    ]


def _reads(w):
    return [
        f"/api/v1/reports/{w['report']}",
        "/api/v1/reports?town=Hartford",
        f"/api/v1/reports/{w['report']}/clips",
        f"/api/v1/clips/{w['clip']}/reports",
        f"/api/v1/holds?clip_id={w['clip']}",
        f"/api/v1/retention/clips/{w['clip']}",
        "/api/v1/retention/changes",
        f"/api/v1/retention/changes/{w['change']}",
        "/api/v1/retention/policy",
        "/api/v1/retention/sweep",
        "/api/v1/fixity/status",
        "/api/v1/reporting/opm?year=2025",
    ]


def _counts(ctx):
    with ctx.sessions() as session:
        return tuple(
            session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Report, ClipLink, Hold, ChangeRequest)
        ) + (session.get(Report, _only_report(session)).revision,)


def _only_report(session):
    return session.execute(select(Report.id).where(Report.number == "UOF-2025-0001")).scalar_one()


@pytest.mark.parametrize("role", ["trooper", "prosecutor", "device", "auditor"])
def test_only_custodians_change_anything_and_denials_are_audited(client, ctx, people, world, role):
    before = _counts(ctx)
    writes = _writes(world)
    for method, path, body in writes:
        response = client.request(method, path, headers=people.auth(role), json=body)
        assert response.status_code == 403, (role, method, path, response.text)
    assert _counts(ctx) == before
    with ctx.sessions() as session:
        denied = session.execute(select(AuditEvent).where(AuditEvent.outcome == "denied")).scalars().all()
    paths = [json.loads(e.detail)["path"] for e in denied]
    assert sorted(paths) == sorted(path for _, path, _ in writes)
    assert all(e.actor.endswith(("trooper1", "prosecutor1", "car-17", "auditor1")) for e in denied)
    assert all("may not" in json.loads(e.detail)["reason"] for e in denied)


def test_auditors_read_and_others_do_not(client, people, world):
    for path in _reads(world):
        assert client.get(path, headers=people.auth("auditor")).status_code == 200, path
        assert client.get(path, headers=people.auth("custodian")).status_code == 200, path
        for role in ("trooper", "prosecutor", "device"):
            assert client.get(path, headers=people.auth(role)).status_code == 403, (role, path)
    assert client.get("/api/v1/reports", headers={}).status_code == 401


def test_custodian_writes_and_only_another_custodian_approves(client, ctx, people, world, custodian2):
    custodian = people.auth("custodian")
    for method, path, body in _writes(world):
        if "approve" in path:
            assert client.request(method, path, headers=people.auth("admin"), json=body).status_code == 403
            assert client.request(method, path, headers=custodian, json=body).status_code == 409
            approved = client.request(method, path, headers=custodian2, json=body)
            assert approved.status_code == 200 and approved.json()["status"] == "applied"
            continue
        if "fixity" in path:
            continue  # no objects behind these rows (NullStore); fixity has its own tests
        response = client.request(method, path, headers=custodian, json=body)
        assert response.status_code in (200, 201, 202, 409), (method, path, response.text)
        if "ig-release" in path:
            assert "not an Inspector General matter" in response.json()["detail"]
