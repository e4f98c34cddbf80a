"""The same bytes under another name or on another camera keep their provenance (issue 16,
Found 3): each source is its own sighting, audited, searchable, listed on the clip."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ingest_server.audit.models import AuditEvent
from ingest_server.clips.models import ImmutableClipError
from tests.ingest_server.helpers import clip_bytes, put_parts, register, upload
from tests.ingest_server.records_helpers import report_body
from tests.support.clock import START

FIRST = {
    "camera_serial": "SIM6AFF78",
    "officer_id": "B1234",
    "original_name": "DCIM/100/CLIP0001.MP4",
    "source_relpath": "DCIM/100/CLIP0001.MP4",
    "source_key": '["SIM6AFF78","DCIM/100/CLIP0001.MP4",4000,1]',
}
OTHER = {
    "camera_serial": "OTHERCAM9",
    "officer_id": "B9999",
    "original_name": "VIDEO/OTHER_0042.MP4",
    "source_relpath": "VIDEO/OTHER_0042.MP4",
    "source_key": '["OTHERCAM9","VIDEO/OTHER_0042.MP4",4000,7]',
    "camera_start": "2026-11-24T10:00:05+00:00",
    "corrected_start": "2026-11-24T10:00:01+00:00",
}
UNTIMED = {f: None for f in ("camera_start", "camera_end", "corrected_start", "corrected_end")}


def _sighted(ctx, clip_id: str) -> list[dict]:
    with ctx.sessions() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_id == clip_id, AuditEvent.event_type == "clip.sighted")
            .order_by(AuditEvent.seq)
        ).all()
    return [json.loads(e.detail) for e in events]


def _ids(client, people, **query) -> list[str]:
    found = client.get("/api/v1/clips", headers=people.auth("custodian"), params=query)
    assert found.status_code == 200, found.text
    return [c["id"] for c in found.json()["items"]]


def test_two_cameras_with_the_same_bytes_are_two_sightings_of_one_clip(client, people, ctx):
    device, data = people.auth("device"), clip_bytes(4000, seed=1)
    reg, receipt = upload(client, device, data, **FIRST)
    again = register(client, device, data, **OTHER)
    assert again.status_code == 200
    assert again.json()["clip_id"] == reg["clip_id"] and again.json()["receipt"] == receipt

    clip = client.get(f"/api/v1/clips/{reg['clip_id']}", headers=people.auth("custodian")).json()
    seen = [(s["camera_serial"], s["officer_id"], s["original_name"]) for s in clip["sightings"]]
    assert seen == [
        ("SIM6AFF78", "B1234", "DCIM/100/CLIP0001.MP4"),
        ("OTHERCAM9", "B9999", "VIDEO/OTHER_0042.MP4"),
    ]
    assert clip["sightings"][1]["camera_start"].startswith("2026-11-24T10:00:05")
    assert (clip["camera_serial"], clip["officer_id"]) == ("SIM6AFF78", "B1234")  # the first stands
    for query in ({"officer_id": "B9999"}, {"camera_serial": "OTHERCAM9"}, {"camera_serial": "SIM6AFF78"}):
        assert _ids(client, people, **query) == [reg["clip_id"]], query
    assert _ids(client, people, officer_id="B0000") == []
    assert [(d["camera_serial"], d["officer_id"]) for d in _sighted(ctx, reg["clip_id"])] == [
        ("SIM6AFF78", "B1234"),
        ("OTHERCAM9", "B9999"),
    ]

    register(client, device, data, **OTHER)  # the same source retried adds nothing
    register(client, device, data, **FIRST)
    clip = client.get(f"/api/v1/clips/{reg['clip_id']}", headers=people.auth("custodian")).json()
    assert len(clip["sightings"]) == 2 and len(_sighted(ctx, reg["clip_id"])) == 2


def test_a_hard_link_registered_first_gains_the_officer_and_times_of_the_real_name(client, people, ctx):
    device, data = people.auth("device"), clip_bytes(3000, seed=2)
    link = {"original_name": "HARDLINK.mp4", "officer_id": None, "clock_offset_seconds": 4.0, **UNTIMED}
    reg, _ = upload(client, device, data, **link, camera_serial="SIM6AFF78")
    trooper = people.auth("trooper")  # officer B1234
    assert client.get(f"/api/v1/clips/{reg['clip_id']}", headers=trooper).status_code == 403

    real = {"original_name": "CLIP0001.MP4", "officer_id": "B1234", "camera_serial": "SIM6AFF78"}
    times = {"camera_start": "2026-11-24T10:00:04+00:00", "camera_end": "2026-11-24T10:05:04+00:00"}
    raw_only = {"clock_offset_seconds": 4.0, "corrected_start": None, "corrected_end": None}
    assert register(client, device, data, **real, **times, **raw_only).status_code == 200

    clip = client.get(f"/api/v1/clips/{reg['clip_id']}", headers=trooper)
    assert clip.status_code == 200  # B1234's own clip now
    body = clip.json()
    assert body["original_name"] == "HARDLINK.mp4"  # what was set stays
    assert body["officer_id"] == "B1234"
    assert body["corrected_start"].startswith("2026-11-24T10:00:00")  # raw minus the 4 s offset
    assert [s["original_name"] for s in body["sightings"]] == ["HARDLINK.mp4", "CLIP0001.MP4"]
    assert body["sightings"][0]["officer_id"] is None  # each sighting as its source said
    with ctx.sessions() as session:
        [filled] = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.event_type == "clip.filled_from_sightings")
        ).all()
    second = body["sightings"][1]["id"]
    assert json.loads(filled)["filled"] == {
        "officer_id": second,
        "camera_start": second,
        "camera_end": second,
        "corrected_start": second,
        "corrected_end": second,
    }
    found = client.get("/api/v1/clips", headers=trooper).json()
    assert [c["id"] for c in found["items"]] == [reg["clip_id"]]


def test_a_sighting_never_changes_and_is_never_deleted(client, people, ctx):
    from ingest_server.clips.models import ClipSighting

    reg, _ = upload(client, people.auth("device"), clip_bytes(2000, seed=3), **FIRST)
    with ctx.sessions() as session:
        sighting = session.scalars(select(ClipSighting).where(ClipSighting.clip_id == reg["clip_id"])).one()
        sighting.officer_id = "B0000"
        with pytest.raises(ImmutableClipError, match="is a record: it cannot change"):
            session.flush()
        session.rollback()
        session.delete(session.get(ClipSighting, sighting.id))
        with pytest.raises(ImmutableClipError, match="cannot be deleted"):
            session.flush()
        session.rollback()
        with pytest.raises(ImmutableClipError, match="bulk UPDATE/DELETE of clip_sightings is refused"):
            session.execute(update(ClipSighting).values(officer_id="B0000"))


@pytest.mark.time_travel
def test_reports_naming_the_second_cameras_officer_link_the_clip(client, people, ctx, clock):
    custodian, device = people.auth("custodian"), people.auth("device2")  # car-18: vehicle V18
    made = client.post(
        "/api/v1/reports",
        headers=custodian,
        json=report_body("UOF-2010-0316", START, START + timedelta(minutes=10), officers=["B9999"]),
    )
    assert made.status_code == 201
    data = clip_bytes(2500, seed=4)
    window = {
        "camera_start": START.isoformat(),
        "camera_end": (START + timedelta(minutes=5)).isoformat(),
        "corrected_start": START.isoformat(),
        "corrected_end": (START + timedelta(minutes=5)).isoformat(),
        "clock_offset_seconds": 0.0,
    }
    reg, _ = upload(client, device, data, **{**FIRST, **window}, vehicle_id=None)
    assert client.get(f"/api/v1/clips/{reg['clip_id']}/reports", headers=custodian).json() == []
    assert register(client, device, data, **{**OTHER, **window}, vehicle_id=None).status_code == 200
    reports = client.get(f"/api/v1/clips/{reg['clip_id']}/reports", headers=custodian).json()
    assert [r["report_number"] for r in reports] == ["UOF-2010-0316"]
    assert reports[0]["reason"].startswith("officer B9999 is on report UOF-2010-0316")
    later = client.post(  # a report made after both sightings finds the clip through the second
        "/api/v1/reports",
        headers=custodian,
        json=report_body("UOF-2010-0317", START, START + timedelta(minutes=3), officers=["B9999"]),
    )
    assert later.status_code == 201
    reports = client.get(f"/api/v1/clips/{reg['clip_id']}/reports", headers=custodian).json()
    assert sorted(r["report_number"] for r in reports) == ["UOF-2010-0316", "UOF-2010-0317"]


def test_a_sighting_during_the_upload_leaves_the_clip_row_to_the_completion(client, people, ctx):
    # The e2e run showed it: a fill while the first row's completion ran made that completion
    # fail with a concurrent-change 409, and the agent then PUT parts into the finished upload.
    from ingest_server.clips.models import Clip

    device, data = people.auth("device"), clip_bytes(3500, seed=7)
    first = register(client, device, data, original_name="HARDLINK.mp4", officer_id=None, **UNTIMED).json()
    with ctx.sessions() as session:
        before = session.get(Clip, first["clip_id"]).row_version
    assert register(client, device, data, **FIRST).status_code == 200
    with ctx.sessions() as session:
        clip = session.get(Clip, first["clip_id"])
        assert (clip.row_version, clip.officer_id) == (before, None)  # untouched while uploading
    etags = put_parts(first, data)
    done = client.post(f"/api/v1/uploads/{first['clip_id']}/complete", headers=device, json={"parts": etags})
    assert done.status_code == 200
    body = client.get(f"/api/v1/clips/{first['clip_id']}", headers=people.auth("custodian")).json()
    assert (body["officer_id"], body["camera_serial"]) == ("B1234", "X81234")  # filled; the set one stays
    assert body["corrected_start"] is not None and len(body["sightings"]) == 2
