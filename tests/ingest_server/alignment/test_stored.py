"""Stored alignments: placement on one timeline (pure), which pairs a report's job
aligns, and a custodian's accept / reject through the API (the one authorization
table, refusals in words, audited)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ingest_server.alignment import service
from ingest_server.alignment.models import ClipAlignment
from ingest_server.alignment.timeline import Edge, place
from ingest_server.audit.models import AuditEvent
from ingest_server.clips.models import Clip
from ingest_server.jobs import kinds
from ingest_server.jobs.models import Job
from ingest_server.types import utcnow
from tests.ingest_server import helpers


def test_an_aligned_clip_is_placed_by_the_offset_and_drift_and_another_stays_on_corrected_time():
    # B hears A's sound at t_A of A 10 s earlier in its own media time, and B's clock runs 50 ppm fast
    edge = Edge("a", "b", offset_s=-10.0, drift_ppm=50.0, reference_s=30.0, offset_uncertainty_s=0.001)
    placed = place({"a": 1000.0, "b": 1012.5, "c": 1005.0}, [edge])
    a, b, c = placed["a"], placed["b"], placed["c"]
    assert (a.base, a.start, a.rate) == ("audio", 1000.0, 1.0)
    assert (c.base, c.start, c.rate, c.uncertainty_s) == ("corrected", 1005.0, 1.0, None)
    for t_a in (0.0, 30.0, 55.0):
        timeline = a.start + t_a
        t_b = b.rate * (timeline - b.start)
        assert t_b == pytest.approx(t_a - 10.0 + 50e-6 * (t_a - 30.0), abs=1e-9)
    assert b.base == "audio" and b.reference == "a" and b.uncertainty_s == 0.001


def test_placement_follows_an_edge_backwards_and_through_a_chain():
    # C is earliest: the reference. A aligned to C, B aligned to A (edges named the other way round)
    edges = [Edge("a", "c", 5.0, 0.0, 0.0, 0.002), Edge("a", "b", -2.0, 0.0, 0.0, 0.001)]
    placed = place({"a": 100.0, "b": 110.0, "c": 90.0}, edges)
    assert placed["c"].reference == "c" and placed["a"].reference == "c" == placed["b"].reference
    t_c = 20.0
    timeline = placed["c"].start + t_c
    t_a = placed["a"].rate * (timeline - placed["a"].start)
    t_b = placed["b"].rate * (timeline - placed["b"].start)
    assert t_a == pytest.approx(t_c - 5.0) and t_b == pytest.approx(t_a - 2.0)
    assert placed["b"].uncertainty_s == pytest.approx(0.003)


def _clip(i: int, start_s: float, seconds: float) -> Clip:
    t0 = utcnow()
    return Clip(
        id=f"c{i}",
        corrected_start=t0 + timedelta(seconds=start_s),
        corrected_end=t0 + timedelta(seconds=start_s + seconds),
        duration_seconds=seconds,
    )


def test_pairs_overlap_in_corrected_time_widened_by_the_slack():
    clips = [_clip(0, 0, 60), _clip(1, 30, 60), _clip(2, 60 + 800, 30), _clip(3, 60 + 1000, 30)]
    assert service.overlapping_pairs(clips) == [(0, 1), (0, 2), (1, 2), (2, 3)]
    assert service.overlapping_pairs(clips, slack_s=0) == [(0, 1)]


@pytest.fixture
def stored_pair(client, people, ctx):
    a, _ = helpers.upload(client, people.auth("device"), helpers.clip_bytes(30_000, seed=1))
    b, _ = helpers.upload(
        client,
        people.auth("device"),
        helpers.clip_bytes(30_000, seed=2),
        officer_id="B5678",
        camera_serial="X2",
    )
    rows = {}
    with ctx.sessions() as session:
        ca, cb = session.get(Clip, a["clip_id"]), session.get(Clip, b["clip_id"])
        for name, aligned in (("good", True), ("none", False)):
            row = ClipAlignment(
                clip_a_id=ca.id,
                clip_b_id=cb.id,
                clip_a_sha256=ca.sha256,
                clip_b_sha256=cb.sha256,
                aligned=aligned,
                reason="" if aligned else "no common sound found",
                offset_s=-2.41 if aligned else None,
                drift_ppm=0.0 if aligned else None,
                reference_s=40.0 if aligned else None,
                offset_uncertainty_s=0.004 if aligned else None,
                drift_uncertainty_ppm=0.5 if aligned else None,
                confidence=31.0,
                windows_used=9,
                method="gcc-phat-windowed",
                version="1",
                parameters={},
                detail={"aligned": aligned, "reason": "" if aligned else "no common sound found"}
                | (
                    {
                        "offset_s": -2.41,
                        "drift_ppm": 0.0,
                        "reference_s": 40.0,
                        "offset_uncertainty_s": 0.004,
                        "drift_uncertainty_ppm": 0.5,
                    }
                    if aligned
                    else {}
                ),
                ran_at=utcnow(),
            )
            session.add(row)
            session.flush()
            rows[name] = row.id
        session.commit()
    return rows, (a["clip_id"], b["clip_id"])


def test_only_a_custodian_decides_and_each_decision_is_audited(client, people, ctx, stored_pair):
    rows, (a, b) = stored_pair
    url = f"/api/v1/alignments/{rows['good']}/decision"
    body = {"accept": True, "reason": "checked by ear"}
    for role in ("admin", "trooper", "auditor"):
        assert client.post(url, json=body, headers=people.auth(role)).status_code == 403
    done = client.post(url, json=body, headers=people.auth("custodian"))
    assert done.status_code == 200, done.text
    out = done.json()
    assert out["state"] == "accepted" and out["decided_by"].endswith("custodian1")
    assert "from their audio" in out["sentence"]
    again = client.post(url, json=body, headers=people.auth("custodian"))
    assert again.status_code == 409 and "already accepted" in again.json()["detail"]
    none = client.post(
        f"/api/v1/alignments/{rows['none']}/decision", json=body, headers=people.auth("custodian")
    )
    assert none.status_code == 422 and "only rejectable" in none.json()["detail"]
    blank = client.post(
        f"/api/v1/alignments/{rows['none']}/decision",
        json={"accept": False, "reason": ""},
        headers=people.auth("custodian"),
    )
    assert blank.status_code == 422
    missing = client.post("/api/v1/alignments/nope/decision", json=body, headers=people.auth("custodian"))
    assert missing.status_code == 404
    with ctx.sessions() as session:
        events = (
            session.execute(select(AuditEvent).where(AuditEvent.event_type == "alignment.accepted"))
            .scalars()
            .all()
        )
        assert sorted(e.object_id for e in events) == sorted([a, b])


def test_linking_a_report_requests_one_alignment_job(client, people, ctx):
    for seed in (1, 2):
        helpers.upload(client, people.auth("device"), helpers.clip_bytes(30_000, seed=seed))
    report = client.post(
        "/api/v1/reports",
        headers=people.auth("custodian"),
        json={
            "number": "UOF-1",
            "incident_start": "2026-11-24T09:58:00+00:00",
            "incident_end": "2026-11-24T10:10:00+00:00",
            "town": "Hartford",
            "officers": ["B1234"],
            "force_types": ["cew"],
        },
    )
    assert report.status_code == 201, report.text
    with ctx.sessions() as session:
        jobs = session.execute(select(Job).where(Job.kind == kinds.ALIGN_REPORT)).scalars().all()
        assert [(j.subject, j.state) for j in jobs] == [(report.json()["id"], "queued")]
    run = client.post(
        f"/api/v1/reports/{report.json()['id']}/alignments/run", headers=people.auth("custodian")
    )
    assert run.status_code == 200 and run.json()["id"] == jobs[0].id  # the same queued job
    listed = client.get(f"/api/v1/reports/{report.json()['id']}/alignments", headers=people.auth("auditor"))
    assert listed.status_code == 200 and listed.json()["job"]["state"] == "queued"
    status = client.get(f"/api/v1/jobs/{jobs[0].id}", headers=people.auth("auditor"))
    assert status.status_code == 200 and status.json()["kind"] == kinds.ALIGN_REPORT
    assert client.get("/api/v1/jobs/nope", headers=people.auth("auditor")).status_code == 404
