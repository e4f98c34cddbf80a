"""The custodian API: search with filters and paging limits, one clip, its manifest,
the original streamed with HTTP Range and its SHA-256 header, the immutability guard."""

from __future__ import annotations

import hashlib

import pytest

from tests.ingest_server.helpers import clip_bytes, manifest_for, register, upload


@pytest.fixture
def three_clips(client, people):
    clips = []
    for i, (officer, vehicle, start) in enumerate(
        [
            ("B1", "V1", "2026-11-20T08:00:00+00:00"),
            ("B2", "V1", "2026-11-21T08:00:00+00:00"),
            ("B2", "V2", "2026-11-22T08:00:00+00:00"),
        ]
    ):
        data = clip_bytes(1000 + i, seed=i)
        reg, receipt = upload(
            client, people.auth("device"), data, officer_id=officer, vehicle_id=vehicle, corrected_start=start
        )
        clips.append((reg["clip_id"], data))
    return clips


def _ids(client, people, **params):
    response = client.get("/api/v1/clips", headers=people.auth("custodian"), params=params)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


def test_search_filters(client, people, three_clips):
    (a, data_a), (b, _), (c, _) = three_clips
    assert _ids(client, people, officer_id="B2") == [c, b]  # newest recording first
    assert _ids(client, people, vehicle_id="V1") == [b, a]
    assert _ids(client, people, officer_id="B2", vehicle_id="V1") == [b]
    assert _ids(client, people, recorded_from="2026-11-21T00:00:00Z", recorded_to="2026-11-22T00:00:00Z") == [
        b
    ]
    assert _ids(client, people, sha256=hashlib.sha256(data_a).hexdigest()) == [a]
    assert _ids(client, people, category="unclassified") == [c, b, a]
    assert _ids(client, people, category="evidence") == []
    assert _ids(client, people, state="stored") == [c, b, a]
    device_id = client.get(f"/api/v1/clips/{a}", headers=people.auth("custodian")).json()["device_id"]
    assert _ids(client, people, device_id=device_id) == [c, b, a]


def test_paging_and_its_limits(client, people, three_clips):
    page = client.get("/api/v1/clips", headers=people.auth("custodian"), params={"limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["limit"] == 2
    rest = client.get(
        "/api/v1/clips", headers=people.auth("custodian"), params={"limit": 2, "offset": 2}
    ).json()
    assert len(rest["items"]) == 1
    assert {c["id"] for c in page["items"] + rest["items"]} == {c for c, _ in three_clips}
    too_big = client.get("/api/v1/clips", headers=people.auth("custodian"), params={"limit": 51})
    assert too_big.status_code == 422 and "maximum page size 50" in too_big.json()["detail"]
    default = client.get("/api/v1/clips", headers=people.auth("custodian")).json()
    assert default["limit"] == 20


def test_one_clip_and_its_manifest(client, people, three_clips):
    clip_id, data = three_clips[0]
    clip = client.get(f"/api/v1/clips/{clip_id}", headers=people.auth("auditor")).json()
    assert clip["sha256"] == hashlib.sha256(data).hexdigest() and clip["size"] == len(data)
    assert clip["original_name"] == "AXON_0019283746.MP4" and clip["flags"] == ["event"]
    assert clip["clock_offset_seconds"] == -2.0 and clip["corrected_start"].startswith("2026-11-20T08:00:00")
    manifest = client.get(f"/api/v1/clips/{clip_id}/manifest", headers=people.auth("custodian")).json()
    assert manifest == manifest_for(data).as_dict()
    nothumb = client.get(f"/api/v1/clips/{clip_id}/thumbnail", headers=people.auth("custodian"))
    assert nothumb.status_code == 404 and "no thumbnail" in nothumb.json()["detail"]
    missing = client.get("/api/v1/clips/" + "0" * 32, headers=people.auth("custodian"))
    assert missing.status_code == 404 and "no clip" in missing.json()["detail"]


def test_download_whole_and_ranges(client, people, three_clips):
    clip_id, data = three_clips[1]
    url = f"/api/v1/clips/{clip_id}/original"
    whole = client.get(url, headers=people.auth("custodian"))
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["x-content-sha256"] == hashlib.sha256(data).hexdigest()
    assert whole.headers["accept-ranges"] == "bytes"
    for header, start, end in (
        ("bytes=10-19", 10, 20),
        ("bytes=900-", 900, len(data)),
        ("bytes=-5", len(data) - 5, len(data)),
    ):
        part = client.get(url, headers={**people.auth("custodian"), "Range": header})
        assert part.status_code == 206 and part.content == data[start:end]
        assert part.headers["content-range"] == f"bytes {start}-{end - 1}/{len(data)}"
        assert part.headers["x-content-sha256"] == hashlib.sha256(data).hexdigest()
    for bad in ("bytes=5000-6000", "bytes=1-2,4-5", "lines=1-2", "bytes=abc"):
        refused = client.get(url, headers={**people.auth("custodian"), "Range": bad})
        assert refused.status_code == 416, bad
        assert refused.headers["content-range"] == f"bytes */{len(data)}"


def test_evidence_facts_of_a_stored_clip_are_immutable(client, people, ctx):
    """Any direct write to an evidence fact of a stored clip fails on flush, whoever writes it."""
    from sqlalchemy import delete, update

    from ingest_server.clips.models import DELETED, STORED, Clip, ImmutableClipError

    reg, _ = upload(client, people.auth("device"), clip_bytes(1500, seed=7))
    protected = {
        "sha256": "0" * 64,
        "size": 1,
        "part_size": 2,
        "composite": "x",
        "manifest_json": "{}",
        "object_key": "elsewhere/x.mp4",
        "version_id": "v-forged",
        "corrected_start": None,
        "officer_id": "someone-else",
        "state": "uploading",
    }
    for field, value in protected.items():
        with ctx.sessions() as session:
            clip = session.get(Clip, reg["clip_id"])
            setattr(clip, field, value)
            with pytest.raises(ImmutableClipError, match=f"stored evidence: {field} cannot change"):
                session.flush()
            session.rollback()
    with ctx.sessions() as session:  # a row changed behind the ORM's back is still checked
        session.expire_all()
        clip = session.get(Clip, reg["clip_id"])
        session.expire(clip, ["size", "state"])
        clip.size = 2
        with pytest.raises(ImmutableClipError, match="size cannot change"):
            session.flush()
        session.rollback()
    with ctx.sessions() as session:
        clip = session.get(Clip, reg["clip_id"])
        session.delete(clip)
        with pytest.raises(ImmutableClipError, match="cannot be deleted"):
            session.flush()
        session.rollback()
    with ctx.sessions() as session:  # nothing above reached the database
        clip = session.get(Clip, reg["clip_id"])
        assert (clip.state, clip.size, clip.object_key) == (STORED, 1500, reg["object_key"])
        # the allow-list: a category, the mirrored lock date, and stored -> deleted
        clip.category, clip.retain_until = "use_of_force", clip.retain_until
        session.commit()
        clip.state = DELETED
        session.commit()
        clip.state = STORED  # no way back
        with pytest.raises(ImmutableClipError, match="state cannot change"):
            session.flush()
        session.rollback()
    with ctx.sessions() as session:  # bulk statements would skip the check: refused outright
        for statement in (
            update(Clip).where(Clip.id == reg["clip_id"]).values(size=3),
            update(Clip.__table__).where(Clip.id == reg["clip_id"]).values(size=3),
            delete(Clip).where(Clip.id == reg["clip_id"]),
        ):
            with pytest.raises(ImmutableClipError, match="bulk UPDATE/DELETE of clips is refused"):
                session.execute(statement)
            session.rollback()
    uploading = register(client, people.auth("device"), clip_bytes(900, seed=8)).json()
    with ctx.sessions() as session:  # a clip still uploading may change anything
        clip = session.get(Clip, uploading["clip_id"])
        clip.size, clip.sha256 = 42, "1" * 64
        session.flush()
        session.rollback()


def test_thumbnail_round_trip(client, people):
    import base64

    jpeg = b"\xff\xd8\xff\xe0" + b"thumb" * 50 + b"\xff\xd9"
    reg, _ = upload(
        client,
        people.auth("device"),
        clip_bytes(900, seed=9),
        thumbnail_jpeg_b64=base64.b64encode(jpeg).decode(),
    )
    got = client.get(f"/api/v1/clips/{reg['clip_id']}/thumbnail", headers=people.auth("trooper"))
    assert got.status_code == 200 and got.content == jpeg and got.headers["content-type"] == "image/jpeg"


def test_corrected_times_from_the_clock_offset_when_the_agent_sent_none(client, people):
    reg, _ = upload(
        client,
        people.auth("device"),
        clip_bytes(800, seed=21),
        corrected_start=None,
        corrected_end=None,
        camera_start="2026-11-23T10:00:00+00:00",
        camera_end="2026-11-23T10:01:00+00:00",
        clock_offset_seconds=30.0,
    )
    clip = client.get(f"/api/v1/clips/{reg['clip_id']}", headers=people.auth("custodian")).json()
    assert clip["camera_start"].startswith("2026-11-23T10:00:00")  # the raw time is kept as read
    assert clip["corrected_start"].startswith("2026-11-23T09:59:30")
    assert clip["corrected_end"].startswith("2026-11-23T10:00:30")
    found = _ids(client, people, recorded_from="2026-11-23T09:59:00Z", recorded_to="2026-11-23T10:00:00Z")
    assert found == [reg["clip_id"]]
