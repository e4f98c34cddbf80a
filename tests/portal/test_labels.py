"""Flags and labels reach people: a truncated, unplayable dashcam clip says so on the
console clip page, the search list, the report page, the share pages, the review
page and the package's custody report; it is labelled by its vehicle (never
"None" or "?"), its bag file is named for the vehicle, and its custody events read
in plain words with their full hashes."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from ingest_server.audit.words import in_words
from ingest_server.clips import labels
from tests.ingest_server import helpers
from tests.portal.conftest import csrf, sign_in, upload_clip
from tests.portal.test_shares import _share_id, make_share

REPORT = {
    "number": "UOF-2026-0077",
    "incident_start": "2026-11-24T09:58:00+00:00",
    "incident_end": "2026-11-24T10:10:00+00:00",
    "town": "Hartford",
    "officers": ["B1234"],
    "force_types": ["cew"],
}
TRUNCATED = "Truncated: the file ends before the recording did"


def _dashcam(client, people) -> str:
    """A dashcam clip (no officer, vehicle V17 from the device) the agent flagged truncated, unplayable."""
    return upload_clip(
        client,
        people,
        helpers.clip_bytes(30_000, seed=7),
        original_name="DASH0009.MP4",
        officer_id=None,
        camera_serial=None,
        duration_seconds=None,
        container=None,
        codec=None,
        width=None,
        height=None,
        fps=None,
        flags=["truncated", "unplayable"],
    )


def test_a_truncated_dashcam_clip_says_so_on_every_page(client, people, ctx):
    clip_id = _dashcam(client, people)
    sign_in(client)

    page = client.get(f"/portal/clips/{clip_id}").text
    assert TRUNCATED in page and "Unplayable: no video frame could be decoded" in page
    assert "vehicle V17" in page and "None" not in page
    assert "? / ?" not in page and "?×?" not in page
    assert "not readable (truncated, unplayable)" in page  # duration and media, not "unknown" / "?"

    listing = client.get("/portal/clips").text
    assert "⚠ truncated, unplayable" in listing and "vehicle V17" in listing

    report = client.post("/api/v1/reports", headers=people.auth("custodian"), json=REPORT).json()
    linked = client.post(
        f"/portal/reports/{report['id']}/link",
        data={"csrf": csrf(client), "clip_id": clip_id, "reason": "dashcam of the responding car"},
    )
    assert linked.status_code in (200, 303)
    report_page = client.get(f"/portal/reports/{report['id']}").text
    assert TRUNCATED in report_page and "vehicle V17" in report_page
    assert ">? ·" not in report_page  # the timeline lane is labelled by the vehicle

    review_path = make_share(client, [clip_id], allow_download="1")
    share_page = client.get(f"/portal/shares/{_share_id(ctx)}").text
    assert TRUNCATED in share_page and "vehicle V17" in share_page and "None ·" not in share_page
    package = client.get(f"/portal/shares/{_share_id(ctx)}/package.zip")
    assert package.status_code == 200

    client.cookies.clear()
    review = client.get(review_path).text
    assert TRUNCATED in review and "vehicle V17" in review

    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        names = archive.namelist()
        originals = [n for n in names if re.search(r"/data/[^/]+\.mp4$", n)]
        assert len(originals) == 1 and originals[0].split("/")[-1].startswith("vehicle-V17_")
        report_html = archive.read(next(n for n in names if n.endswith(".mp4.html"))).decode()
        report_csv = archive.read(next(n for n in names if n.endswith(".mp4.csv"))).decode()
    assert TRUNCATED in report_html and "vehicle V17" in report_html
    assert "Stored in the evidence store under Object Lock" in report_html
    assert "Shared with ADA Jane Roe" in report_html
    rows = list(csv.DictReader(io.StringIO(report_csv)))
    assert {"object_type", "object_id", "prev_hash", "hash", "in_words"} <= set(rows[0])
    for row in rows:  # every event's full hash is printed, in four groups of 16
        groups = " ".join(row["hash"][i : i + 16] for i in range(0, 64, 16))
        assert f"<span>{row['hash'][:16]}</span>" in report_html, groups


def test_events_read_in_plain_words():
    def event(event_type, actor, detail, outcome="success"):
        return {"event_type": event_type, "actor": actor, "detail": detail, "outcome": outcome}

    assert (
        in_words(
            event(
                "share.clip_played", "share:3f2a9c81d4e5f6a7:ADA Jane Roe", '{"share_id":"3f2a9c81d4e5f6a7"}'
            )
        )
        == "Viewed by ADA Jane Roe through share 3f2a9c81d4e5…"
    )
    assert in_words(event("clip.exported", "user:custodian1", '{"package":"evidence-x","file":"a.mp4"}')) == (
        "Copied into court package evidence-x as a.mp4 by user:custodian1"
    )
    assert (
        in_words(event("api.clips.get", "user:auditor1", "{}"))
        == "Clip record read through the API by user:auditor1"
    )
    assert in_words(event("api.clips.download", "user:trooper1", "{}", outcome="denied")) == (
        "Original downloaded through the API by user:trooper1 (denied)"
    )
    assert "[" not in in_words(event("something.new", "x", '{"a":[1,2]}'))  # no Python reprs
    open_report = json.dumps(
        {"retain_until": None, "store_retain_until": "2030-12-01T14:00:35+00:00", "reasons": ["open report"]}
    )
    assert in_words(event("retention.applied", "system:linking", open_report)) == (
        "Retention decided: kept with no end date (open report); locked in the store until at least "
        "2030-12-01T14:00:35+00:00"
    )  # not "keep until ?"


def test_labels_prefer_the_officer_then_the_vehicle():
    class Row:
        def __init__(self, **kw):
            self.officer_id, self.vehicle_id, self.flags_json = kw.get("o"), kw.get("v"), kw.get("f", "[]")

    assert labels.recorded_by(Row(o="B1234", v="V17")) == "B1234"
    assert labels.recorded_by(Row(v="V17")) == "vehicle V17"
    assert labels.recorded_by(Row()) == "unknown"
    assert labels.warnings(Row(f='["event","truncated"]')) == [labels.FLAG_WORDS["truncated"]]
    assert labels.notes(Row(f='["event","truncated"]')) == [labels.FLAG_WORDS["event"]]


def test_every_event_of_the_clip_is_in_the_console_trail_in_words(client, people, ctx):
    clip_id = _dashcam(client, people)
    sign_in(client)
    page = client.get(f"/portal/clips/{clip_id}").text
    with ctx.sessions() as session:
        stored = session.execute(
            select(AuditEvent).where(AuditEvent.object_id == clip_id, AuditEvent.event_type == "clip.stored")
        ).scalar_one()
    assert in_words(stored) in page
