"""A clip redacted, reviewed, approved, released to a records request and withdrawn, against the real
store: the original's bytes and sha256 never change, each derived copy is its own locked object with
its own sha256, the package verifies (and stops verifying after one changed byte), every step audited."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select
from typer.testing import CliRunner

from ingest_server import cli
from ingest_server.audit.models import AuditEvent
from ingest_server.auth import service as auth_service
from ingest_server.clips.models import Clip
from ingest_server.derived import jobs, records, service
from ingest_server.derived.models import APPROVED, DELETED, DRAFT, RELEASED, REVIEW, SIGNED, DerivedObject
from ingest_server.redaction import sign
from ingest_server.redaction.render import RenderError
from tests.ingest_server import helpers
from tests.ingest_server.derived import inline


def _original(ctx, clip_id, session=None):
    """What the store and the database say the original is: (bytes of its version, their sha256, the
    clip row's sha256, the bytes a plain read of its key gives, and the key's versions)."""
    if session is None:
        with ctx.sessions() as own:
            return _original(ctx, clip_id, own)
    clip = session.get(Clip, clip_id)
    session.refresh(clip)
    key, version, sha = clip.object_key, clip.version_id, clip.sha256
    chunks, _ = ctx.storage.read(key, version)
    data = b"".join(chunks)
    latest = b"".join(ctx.storage.read(key, None)[0])
    versions = ctx.storage.client.list_object_versions(Bucket=ctx.storage.bucket, Prefix=key)
    ids = sorted(v["VersionId"] for v in versions.get("Versions", []) + versions.get("DeleteMarkers", []))
    return data, hashlib.sha256(data).hexdigest(), sha, latest, ids


def _job(ctx, session, redaction_id, step):
    """Run the redaction's queued job (`step`) as a worker would, in its own sessions (SQLite: ours
    must hold no transaction)."""
    session.commit()
    ran = inline.run_queued(ctx, redaction_id)
    assert [j.kind for j in ran] == [jobs.KIND[step]]
    session.expire_all()
    return service.get_redaction(session=session, redaction_id=redaction_id)


def _scan(ctx, session, clip_id, user):
    row = service.start(ctx=ctx, session=session, clip_id=clip_id, requester=user, reason="FOIA 2026-17")
    return _job(ctx, session, row.id, jobs.SCAN)


def test_redact_release_delete_never_touch_the_original(ctx, stored_clip, custodians, pki, tmp_path):
    clip_id, uploaded = stored_clip
    first, second = custodians
    before = _original(ctx, clip_id)
    assert (
        before[0] == before[3] == uploaded and before[1] == before[2] == hashlib.sha256(uploaded).hexdigest()
    )
    assert len(before[4]) == 1

    with ctx.sessions() as session:
        row = _scan(ctx, session, clip_id, first)
        assert row.state == REVIEW
        tracks = service.tracks_of(row)
        print(f"tracks found: {[(t['id'], t['first_frame'], t['last_frame']) for t in tracks]}")
        assert len(tracks) >= 2 and all(t["thumbnail"].startswith("data:image/jpeg;base64,") for t in tracks)
        service.decide_track(
            ctx=ctx, session=session, redaction_id=row.id, track_id=tracks[-1]["id"], accept=False, user=first
        )
        service.add_box(
            ctx=ctx, session=session, redaction_id=row.id, first=0, last=10, box=(10, 10, 90, 90), user=first
        )
        service.add_audio_range(
            ctx=ctx, session=session, redaction_id=row.id, start_s=0.5, end_s=1.0, user=first
        )
        with pytest.raises(service.DerivedError, match="inside the 640x360 frame"):
            service.add_box(
                ctx=ctx,
                session=session,
                redaction_id=row.id,
                first=0,
                last=5,
                box=(600, 0, 700, 50),
                user=first,
            )
        service.request_render(ctx=ctx, session=session, redaction_id=row.id, user=first)
        row = _job(ctx, session, row.id, jobs.RENDER)
        draft = service.get_derived(session=session, derived_id=row.derived_id)
        assert draft.state == DRAFT and draft.object_key == f"derived/{clip_id}/{draft.id}.mp4"
        assert draft.sha256 != before[1]
        prov = json.loads(draft.provenance_json)
        assert prov["parent"]["sha256"] == before[1] and prov["derived"]["sha256"] == draft.sha256
        decisions = {t["id"]: t["decision"] for t in prov["regions"]["detected_tracks"]}
        assert decisions[tracks[-1]["id"]] == "rejected" and list(decisions.values()).count("accepted") >= 1
        assert prov["regions"]["manual_tracks"][0]["keyframes"][0]["box"] == [10.0, 10.0, 90.0, 90.0]
        assert prov["audio_masks"]["ranges"] == [{"start_s": 0.5, "end_s": 1.0}]
        stored = b"".join(ctx.storage.read(draft.object_key, draft.version_id)[0])
        assert hashlib.sha256(stored).hexdigest() == draft.sha256 and len(stored) == draft.size
        head = ctx.storage.client.head_object(Bucket=ctx.storage.bucket, Key=draft.object_key)
        assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"] > ctx.clock()
        assert _original(ctx, clip_id, session) == before

        with pytest.raises(service.DerivedError, match="only an approved copy"):
            service.approve_release(ctx=ctx, session=session, derived_id=draft.id, user=second)
        service.approve(ctx=ctx, session=session, derived_id=draft.id, user=first)
        assert draft.state == APPROVED
        with pytest.raises(service.DerivedError, match="a second, different custodian"):
            service.approve_release(ctx=ctx, session=session, derived_id=draft.id, user=first)
        assert draft.state == APPROVED  # the refusal changed nothing

        request = records.create(
            ctx=ctx,
            session=session,
            requester="Hartford Courant",
            received_at=ctx.clock() - timedelta(hours=2),
            clip_ids=[clip_id],
            description="incident of 24 Nov",
            user=first,
        )
        assert request.due_at == request.received_at + timedelta(hours=96)
        with pytest.raises(service.DerivedError, match="no released copy"):
            records.release(ctx=ctx, session=session, request_id=request.id, user=second)

        signed = service.approve_release(ctx=ctx, session=session, derived_id=draft.id, user=second)
        assert signed.kind == SIGNED and signed.state == RELEASED and draft.state == RELEASED
        assert signed.sha256 not in (draft.sha256, before[1])
        released = records.release(ctx=ctx, session=session, request_id=request.id, user=second)
        assert released.state == "released" and released.released_at <= released.due_at
        package = ctx.settings.release_dir / request.id
        assert _original(ctx, clip_id, session) == before

    assert records.verify_package(folder=package, trust_anchors_pem=pki.root_pem) == []
    manifest = json.loads((package / "release.json").read_text())
    (item,) = manifest["items"]
    assert item["original_sha256"] == before[1] and item["video_sha256"] == signed.sha256
    video = package / item["video"]
    assert sign.check(video, trust_anchors_pem=pki.root_pem)[0] is sign.CredentialState.TRUSTED
    readme = (package / "README.txt").read_text()
    assert "REDACTED COPY" in readme and item["video"] in readme
    assert (package.with_suffix(".zip")).exists()
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=package, capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout.count(": OK") == 2, checked.stdout  # as README says

    tampered = package.parent / "tampered"
    shutil.copytree(package, tampered)
    data = bytearray((tampered / item["video"]).read_bytes())
    data[len(data) // 2] ^= 0x01
    (tampered / item["video"]).write_bytes(bytes(data))
    assert (
        sign.check(tampered / item["video"], trust_anchors_pem=pki.root_pem)[0]
        is sign.CredentialState.INVALID
    )
    (tmp_path / "ca.pem").write_bytes(pki.root_pem)
    ok = CliRunner().invoke(
        cli.app, ["release", "verify", str(package), "--trust-anchor", str(tmp_path / "ca.pem")]
    )
    print(ok.output)
    assert ok.exit_code == 0 and ok.output.startswith("OK ")
    bad = CliRunner().invoke(
        cli.app, ["release", "verify", str(tampered), "--trust-anchor", str(tmp_path / "ca.pem")]
    )
    print(bad.output)
    assert bad.exit_code == 1 and "Content Credentials are Invalid" in bad.output
    problems = records.verify_package(folder=tampered, trust_anchors_pem=pki.root_pem)
    assert any("sha256 differs" in p for p in problems) and any("Invalid" in p for p in problems)

    with ctx.sessions() as session:
        for derived_id in (signed.id, draft.id):
            service.delete(ctx=ctx, session=session, derived_id=derived_id, user=first, reason="superseded")
        rows = session.execute(select(DerivedObject).where(DerivedObject.parent_clip_id == clip_id)).scalars()
        assert {r.state for r in rows} == {DELETED}
        trail = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        events = [e.event_type for e in trail if e.object_id == clip_id]
        request_events = [e.event_type for e in trail if e.object_id == request.id]
    assert _original(ctx, clip_id) == before
    with pytest.raises(ClientError, match="NoSuchKey"):  # the delete marker hides the key from plain reads
        ctx.storage.client.get_object(Bucket=ctx.storage.bucket, Key=draft.object_key)
    for step in (
        "redaction.requested",
        "redaction.scanned",
        "redaction.track_rejected",
        "redaction.box_added",
        "redaction.audio_masked",
        "redaction.render_requested",
        "derived.stored",
        "derived.approved",
        "derived.release_refused",
        "derived.released",
        "derived.deleted",
    ):
        assert step in events, step
    assert request_events == ["records_request.created", "records_request.released"]


def test_a_failed_scan_is_recorded_with_its_reason(ctx, client, custodians, tmp_path):
    with ctx.sessions() as session:
        _, device = auth_service.enroll_device(session=session, name="car-9", vehicle_id="V9", actor="test")
    data = helpers.clip_bytes(20_000, seed=3)  # not a video
    reg, _ = helpers.upload(client, {"Authorization": f"Bearer {device}"}, data)
    with ctx.sessions() as session:
        row = service.start(
            ctx=ctx, session=session, clip_id=reg["clip_id"], requester=custodians[0], reason="x"
        )
        _job(ctx, session, row.id, jobs.SCAN)
        job = jobs.latest(session=session, redaction_id=row.id, step=jobs.SCAN)
        assert job.state == "failed" and job.error.startswith(RenderError.__name__)
        session.expire_all()
        row = service.get_redaction(session=session, redaction_id=row.id)
        assert row.state == "failed" and (
            "no video stream" in row.error or "cannot be read as video" in row.error
        )


def test_due_time_is_configurable_and_a_delay_needs_a_reason(ctx, stored_clip, custodians):
    clip_id, _ = stored_clip
    ctx.settings.records_request_due_hours = 48
    with ctx.sessions() as session:
        now = ctx.clock()
        late = records.create(
            ctx=ctx,
            session=session,
            requester="A",
            received_at=now - timedelta(hours=40),
            clip_ids=[clip_id],
            description="",
            user=custodians[0],
        )
        soon = records.create(
            ctx=ctx,
            session=session,
            requester="B",
            received_at=now - timedelta(hours=47),
            clip_ids=[clip_id],
            description="",
            user=custodians[0],
        )
        assert late.due_at - late.received_at == timedelta(hours=48)
        listed = records.open_by_time_left(session=session, now=now)
        assert [r.requester for r, _ in listed] == ["B", "A"]
        assert 3500 < listed[0][1] <= 3600
        with pytest.raises(service.DerivedError, match="reason"):
            records.delay(
                ctx=ctx,
                session=session,
                request_id=soon.id,
                due=soon.due_at + timedelta(days=3),
                reason=" ",
                user=custodians[0],
            )
        records.delay(
            ctx=ctx,
            session=session,
            request_id=soon.id,
            due=soon.due_at + timedelta(days=3),
            reason="footage under review by the court (sec. 1-210(b)(3))",
            user=custodians[0],
        )
        assert [r.requester for r, _ in records.open_by_time_left(session=session, now=now)] == ["A", "B"]
        with pytest.raises(service.DerivedError, match="no stored clip"):
            records.create(
                ctx=ctx,
                session=session,
                requester="C",
                received_at=now,
                clip_ids=["nope"],
                description="",
                user=custodians[0],
            )
