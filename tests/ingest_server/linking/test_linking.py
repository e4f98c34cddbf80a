"""Linking: a generated day of 50 officers' clips and 10 reports gives exactly the
links a brute-force computation here gives, each with its reason, whichever side
arrives first; custodians link and unlink by hand, and an unlinked pair is not
linked again automatically."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ingest_server.linking.matcher import Buffers, ReportWindow, clip_window, match
from ingest_server.linking.models import ClipLink
from ingest_server.uploads import after_store
from tests.ingest_server.records_helpers import NullStore, device_id, insert_clip, report_body

# The server's clock travels years here (from 2010): on moto, see the time_travel marker.
pytestmark = pytest.mark.time_travel

DAY = datetime(2026, 3, 2, tzinfo=UTC)
FIVE = timedelta(minutes=5)


def _day(rng: random.Random):
    """50 officers, 25 cars (2 officers each): body-camera clips per officer, dashcam clips per car."""
    clips = []
    for n in range(50):
        officer, car = f"B{1000 + n}", f"V{n // 2}"
        t = DAY + timedelta(hours=6, minutes=rng.randrange(0, 120))
        while t < DAY + timedelta(hours=20):
            minutes = rng.choice([1, 3, 5, 12, 30, 47])
            clips.append(
                dict(
                    officer=officer,
                    vehicle=car if rng.random() < 0.3 else None,
                    start=t,
                    end=t + timedelta(minutes=minutes),
                    corrected=rng.random() < 0.9,
                )
            )
            t += timedelta(minutes=minutes + rng.randrange(0, 40))
    for car in range(25):
        t = DAY + timedelta(hours=6)
        while t < DAY + timedelta(hours=20):
            clips.append(
                dict(officer=None, vehicle=f"V{car}", start=t, end=t + timedelta(minutes=15), corrected=True)
            )
            t += timedelta(minutes=15 + rng.randrange(0, 90))
    reports = []
    for n in range(10):
        start = DAY + timedelta(hours=7, minutes=rng.randrange(0, 12 * 60))
        officers = sorted({f"B{1000 + rng.randrange(50)}" for _ in range(rng.randint(1, 3))})
        vehicles = sorted({f"V{rng.randrange(25)}" for _ in range(rng.randint(0, 2))})
        reports.append(
            dict(
                number=f"UOF-2026-{n:04d}",
                start=start,
                end=start + timedelta(minutes=rng.randrange(1, 60)),
                officers=officers,
                vehicles=vehicles,
            )
        )
    return clips, reports


def _brute_force(clips: dict[str, dict], reports: list[dict]) -> set[tuple[str, str]]:
    expected = set()
    for report in reports:
        low, high = report["start"] - FIVE, report["end"] + FIVE
        for clip_id, clip in clips.items():
            same = clip["officer"] in report["officers"] or clip["vehicle"] in report["vehicles"]
            if same and clip["start"] <= high and clip["end"] >= low:
                expected.add((clip_id, report["number"]))
    return expected


def _links(ctx) -> dict[tuple[str, str], str]:
    from ingest_server.reports.models import Report

    with ctx.sessions() as session:
        rows = session.execute(
            select(ClipLink.clip_id, Report.number, ClipLink.reason)
            .join(Report, Report.id == ClipLink.report_id)
            .where(ClipLink.unlinked_at.is_(None))
        ).all()
    return {(c, n): reason for c, n, reason in rows}


def test_a_generated_day_links_exactly_as_brute_force(client, ctx, people, clock):
    ctx.storage = NullStore()  # clip rows without objects: record what the store would be told
    clock.set(DAY + timedelta(days=1))
    rng = random.Random(20260302)
    clip_specs, reports = _day(rng)
    assert len(clip_specs) > 600
    early, late = clip_specs[::2], clip_specs[1::2]  # half stored before the reports, half after
    ids: dict[str, dict] = {}
    with ctx.sessions() as session:
        device = device_id(session)
        for spec in early:
            clip = insert_clip(session, device, **spec)
            session.flush()
            ids[clip.id] = spec
        session.commit()
    custodian = people.auth("custodian")
    for report in reports:
        body = report_body(
            report["number"],
            report["start"],
            report["end"],
            officers=report["officers"],
            vehicles=report["vehicles"],
        )
        assert client.post("/api/v1/reports", headers=custodian, json=body).status_code == 201
    with ctx.sessions() as session:
        for spec in late:
            clip = insert_clip(session, device, **spec)
            session.flush()
            ids[clip.id] = spec
            after_store.on_clip_stored(ctx=ctx, session=session, clip=clip)
    expected = _brute_force(ids, reports)
    found = _links(ctx)
    assert set(found) == expected
    assert len(expected) >= 20  # the day is busy enough to mean something
    assert any(spec["vehicle"] and not spec["officer"] for cid, _ in expected for spec in [ids[cid]])
    for (clip_id, number), reason in found.items():
        spec = ids[clip_id]
        assert f"on report {number}" in reason and "widened by 5 min before and 5 min after" in reason
        who = f"officer {spec['officer']}" if spec["officer"] and spec["officer"] in reason else None
        assert who or f"vehicle {spec['vehicle']}" in reason
    # Every linked clip's retention was applied and the store told (an open report: 4 years from now).
    locked = {key for key, _ in ctx.storage.locks}
    assert {ids_key(ctx, c) for c, _ in expected} <= locked
    report_id = client.get("/api/v1/reports/UOF-2026-0000", headers=custodian).json()["id"]
    listed = client.get(f"/api/v1/reports/{report_id}/clips", headers=custodian).json()
    assert {link["clip_id"] for link in listed} == {c for c, n in expected if n == "UOF-2026-0000"}


def ids_key(ctx, clip_id: str) -> str:
    from ingest_server.clips.models import Clip

    with ctx.sessions() as session:
        return session.get(Clip, clip_id).object_key


def test_touching_the_widened_window_links_and_a_second_past_it_does_not():
    report = ReportWindow("r", "UOF-1", DAY, DAY + timedelta(minutes=10), frozenset({"B1"}))
    buffers = Buffers()
    touching = clip_window("c1", "B1", None, DAY - timedelta(minutes=8), DAY - FIVE, None)
    apart = clip_window("c2", "B1", None, DAY - timedelta(minutes=8), DAY - FIVE - timedelta(seconds=1), None)
    after = clip_window("c3", "B1", None, DAY + timedelta(minutes=15), None, 60)
    other = clip_window("c4", "B2", None, DAY, DAY + timedelta(minutes=1), None)
    assert match(report, touching, buffers) and match(report, after, buffers)
    assert match(report, apart, buffers) is None and match(report, other, buffers) is None


def test_manual_link_and_unlink_with_reasons(client, ctx, people, clock, custodian2):
    ctx.storage = NullStore()
    clock.set(DAY + timedelta(days=1))
    custodian = people.auth("custodian")
    with ctx.sessions() as session:
        device = device_id(session)
        near = insert_clip(session, device, officer="B1", vehicle=None, start=DAY, end=DAY + FIVE)
        far = insert_clip(session, device, officer="B9", vehicle=None, start=DAY, end=DAY + FIVE)
        session.commit()
        near_id, far_id = near.id, far.id
    body = report_body("UOF-2026-0100", DAY, DAY + FIVE, officers=["B1"])
    report_id = client.post("/api/v1/reports", headers=custodian, json=body).json()["id"]
    assert set(_links(ctx)) == {(near_id, "UOF-2026-0100")}

    made = client.post(
        "/api/v1/links",
        headers=custodian,
        json={"clip_id": far_id, "report_id": report_id, "reason": "B9 assisted, per CAD log"},
    )
    assert made.status_code == 201, made.text
    reports_of_far = client.get(f"/api/v1/clips/{far_id}/reports", headers=custodian).json()
    assert reports_of_far[0]["origin"] == "manual" and "per CAD log" in reports_of_far[0]["reason"]

    # Unlinking ends the clip's "open report" retention: a second custodian must approve.
    asked = client.post(
        "/api/v1/links/unlink",
        headers=custodian,
        json={"clip_id": near_id, "report_id": report_id, "reason": "wrong shift"},
    )
    assert asked.status_code == 202, asked.text
    assert (near_id, "UOF-2026-0100") in _links(ctx)
    change_id = asked.json()["change"]["id"]
    done = client.post(f"/api/v1/retention/changes/{change_id}/approve", headers=custodian2, json={})
    assert done.json()["status"] == "applied"
    assert (near_id, "UOF-2026-0100") not in _links(ctx)
    # A later change to the report does not bring back what a custodian unlinked.
    changed = client.patch(
        f"/api/v1/reports/{report_id}",
        headers=custodian,
        json={"incident_end": (DAY + timedelta(minutes=9)).isoformat(), "reason": "timeline"},
    )
    assert changed.status_code == 200, changed.text
    assert (near_id, "UOF-2026-0100") not in _links(ctx)
    history = client.get(f"/api/v1/clips/{near_id}/reports?include_unlinked=true", headers=custodian).json()
    assert (
        history[0]["unlink_reason"] == "wrong shift"
        and history[0]["unlinked_by"] == "user:custodian1 (approved by user:custodian2)"
    )


def test_changing_a_report_links_the_clips_it_now_covers(client, ctx, people, clock):
    ctx.storage = NullStore()
    clock.set(DAY + timedelta(days=1))
    custodian = people.auth("custodian")
    with ctx.sessions() as session:
        device = device_id(session)
        later = insert_clip(
            session,
            device,
            officer="B1",
            vehicle=None,
            start=DAY + timedelta(minutes=40),
            end=DAY + timedelta(minutes=45),
        )
        car = insert_clip(session, device, officer=None, vehicle="V5", start=DAY, end=DAY + FIVE)
        session.commit()
        later_id, car_id = later.id, car.id
    body = report_body("UOF-2026-0200", DAY, DAY + timedelta(minutes=10), officers=["B1"])
    report_id = client.post("/api/v1/reports", headers=custodian, json=body).json()["id"]
    assert _links(ctx) == {}
    changed = client.patch(
        f"/api/v1/reports/{report_id}",
        headers=custodian,
        json={
            "incident_end": (DAY + timedelta(minutes=36)).isoformat(),
            "vehicles": ["V5"],
            "reason": "dashcam of V5 found",
        },
    )
    assert changed.status_code == 200, changed.text
    found = _links(ctx)
    assert set(found) == {(later_id, "UOF-2026-0200"), (car_id, "UOF-2026-0200")}
    assert found[(car_id, "UOF-2026-0200")].startswith("vehicle V5 is on report UOF-2026-0200")
