"""The read-only JSON API for derived copies and records requests: what a client (or an auditor's
script) sees matches the rows and the stored record byte for byte; bad ids get a clear 4xx; every
read is an audit event naming what was read. Who may read is the matrix in tests/ingest_server/auth."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from ingest_server.auth import service as auth_service
from ingest_server.derived import jobs, records, service
from ingest_server.derived.models import REDACTED, RELEASED, SIGNED
from ingest_server.types import utcnow
from tests.ingest_server.derived import inline
from tests.support.clock import Clock


def _token(ctx, name: str, role: str) -> dict:
    with ctx.sessions() as session:
        _, token = auth_service.create_user(
            session=session, username=name, role=role, officer_id=None, actor="t"
        )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def released(ctx, stored_clip, custodians):
    """A clip redacted (audio masked), approved, released; two open records requests naming it."""
    clip_id, original = stored_clip
    first, second = custodians

    def mute(session, redaction_id):
        service.add_audio_range(
            ctx=ctx, session=session, redaction_id=redaction_id, start_s=0.5, end_s=1.0, user=first
        )

    redaction_id = inline.scanned_and_rendering(ctx, clip_id, first, "FOIA 91", before_render=mute)
    assert [j.kind for j in inline.run_queued(ctx)] == [jobs.KIND[jobs.RENDER]]
    with ctx.sessions() as session:
        draft_id = service.get_redaction(session=session, redaction_id=redaction_id).derived_id
        service.approve(ctx=ctx, session=session, derived_id=draft_id, user=first)
        signed = service.approve_release(ctx=ctx, session=session, derived_id=draft_id, user=second)
        ctx.clock = Clock(utcnow())  # held still from here: time left is exact
        later = records.create(
            ctx=ctx,
            session=session,
            requester="Hartford Courant",
            received_at=ctx.clock() - timedelta(hours=1),
            clip_ids=[clip_id],
            description="",
            user=first,
        )
        sooner = records.create(
            ctx=ctx,
            session=session,
            requester="a resident",
            received_at=ctx.clock() - timedelta(hours=95),
            clip_ids=[clip_id],
            description="",
            user=first,
        )
        return {
            "clip": clip_id,
            "original_sha256": hashlib.sha256(original).hexdigest(),
            "draft": draft_id,
            "signed": signed.id,
            "requests": [sooner.id, later.id],
        }


def test_a_clips_derived_copies_and_their_provenance_as_json(ctx, client, released):
    auditor = _token(ctx, "auditor7", "auditor")
    listed = client.get(f"/api/v1/clips/{released['clip']}/derived", headers=auditor)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(i["id"], i["kind"], i["state"]) for i in items] == [
        (released["draft"], REDACTED, RELEASED),
        (released["signed"], SIGNED, RELEASED),
    ]
    with ctx.sessions() as session:  # closed before the next request (SQLite: one writer, the audit)
        rows = {i["id"]: service.get_derived(session=session, derived_id=i["id"]) for i in items}
    for item in items:
        row = rows[item["id"]]
        assert (item["sha256"], item["size"]) == (row.sha256, row.size)
        assert item["parent_sha256"] == released["original_sha256"]
        record = client.get(item["provenance_url"], headers=auditor)
        assert record.status_code == 200 and record.headers["content-type"] == "application/json"
        assert (
            hashlib.sha256(record.content).hexdigest() == item["provenance_sha256"] == row.provenance_sha256
        )
    one = client.get(f"/api/v1/derived/{released['signed']}", headers=auditor).json()
    assert one["source_derived_id"] == released["draft"] and one["release_approved_by"] == "user:custodian2"
    assert one["provenance"]["parent"]["sha256"] == released["original_sha256"]
    assert one["provenance"]["derived"]["audio"] == "lossless"
    assert one["provenance"]["derived"]["audio_codec"].startswith("flac 24-bit")
    assert one["provenance"]["people"]["approved_by"] == ["user:custodian1", "user:custodian2"]


def test_open_records_requests_soonest_due_first_with_the_time_left(ctx, client, released):
    custodian = _token(ctx, "custodian9", "custodian")
    listed = client.get("/api/v1/records-requests", headers=custodian).json()["items"]
    assert [r["id"] for r in listed] == released["requests"]
    assert [r["seconds_left"] for r in listed] == [3600.0, 95 * 3600.0]
    assert all(r["clip_ids"] == [released["clip"]] and not r["overdue"] for r in listed)
    ctx.clock.advance(hours=2)
    listed = client.get("/api/v1/records-requests", headers=custodian).json()["items"]
    assert [(r["seconds_left"], r["overdue"]) for r in listed] == [(-3600.0, True), (93 * 3600.0, False)]
    one = client.get(f"/api/v1/records-requests/{released['requests'][0]}", headers=custodian).json()
    assert one["clips"] == [
        {
            "clip_id": released["clip"],
            "released_copy_id": released["signed"],
            "released_copy_sha256": one["clips"][0]["released_copy_sha256"],
        }
    ]
    with ctx.sessions() as session:
        assert (
            one["clips"][0]["released_copy_sha256"]
            == service.get_derived(session=session, derived_id=released["signed"]).sha256
        )


@pytest.mark.parametrize(
    "path, status",
    [
        ("/api/v1/derived/" + "0" * 32, 404),
        ("/api/v1/derived/" + "0" * 32 + "/provenance", 404),
        ("/api/v1/records-requests/" + "0" * 32, 404),
        ("/api/v1/clips/" + "0" * 32 + "/derived", 404),
        ("/api/v1/derived/not-an-id", 422),
        ("/api/v1/records-requests/" + "A" * 32, 422),
        ("/api/v1/clips/x%27%3B--/derived", 422),
    ],
)
def test_unknown_and_malformed_ids_get_a_clear_4xx(ctx, client, path, status):
    response = client.get(path, headers=_token(ctx, "custodian8", "custodian"))
    assert response.status_code == status and response.json()["detail"], response.text


def test_every_read_is_audited_with_what_it_read(ctx, client, released):
    auditor = _token(ctx, "auditor8", "auditor")
    reads = {
        f"/api/v1/clips/{released['clip']}/derived": ("api.derived.of_clip", released["clip"]),
        f"/api/v1/derived/{released['draft']}": ("api.derived.get", released["draft"]),
        f"/api/v1/derived/{released['draft']}/provenance": ("api.derived.provenance", released["draft"]),
        "/api/v1/records-requests": ("api.records_requests.open", None),
        f"/api/v1/records-requests/{released['requests'][1]}": (
            "api.records_requests.get",
            released["requests"][1],
        ),
    }
    for path in reads:
        assert client.get(path, headers=auditor).status_code == 200, path
    with ctx.sessions() as session:
        events = (
            session.execute(select(AuditEvent).where(AuditEvent.actor == "user:auditor8")).scalars().all()
        )
        seen = {json.loads(e.detail)["path"]: (e.event_type, e.object_id, e.outcome) for e in events}
    assert seen == {path: (*what, "success") for path, what in reads.items()}
