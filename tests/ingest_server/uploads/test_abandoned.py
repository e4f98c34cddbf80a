"""Multipart uploads nothing will complete are aborted after a grace period, and audited."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from ingest_server.uploads.abandoned import abort_abandoned
from tests.ingest_server.helpers import clip_bytes, register


def _open(ctx) -> set[str]:
    page = ctx.storage.client.list_multipart_uploads(Bucket=ctx.storage.bucket)
    return {u["UploadId"] for u in page.get("Uploads", [])}


def test_an_upload_left_by_a_kill_after_create_multipart_is_aborted_after_the_grace(client, people, ctx):
    # Issue 16 Found 7: a server killed right after CreateMultipartUpload left the upload open for ever.
    orphan = ctx.storage.create_upload("clips/orphan-after-kill", hashlib.sha256(b"x").hexdigest(), "lost")
    live = register(client, people.auth("device"), clip_bytes(40_000)).json()["upload_id"]
    assert {orphan, live} <= _open(ctx)

    assert abort_abandoned(ctx=ctx, grace=timedelta(days=1)) == []  # too recent: an upload may be in flight
    assert orphan in _open(ctx)

    gone = abort_abandoned(ctx=ctx, grace=timedelta(0))
    assert [u.upload_id for u in gone] == [orphan]
    assert orphan not in _open(ctx) and live in _open(ctx)  # the clip still uploading keeps its upload
    with ctx.sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.event_type == "upload.aborted_abandoned")
        ).all()
    assert [e.object_id for e in events] == [orphan] and "orphan-after-kill" in events[0].detail


def _cli_env(monkeypatch, settings) -> None:
    monkeypatch.setenv("EVIDENCE_SERVER_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("EVIDENCE_SERVER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EVIDENCE_SERVER_S3_ENDPOINT_URL", settings.s3_endpoint_url)
    monkeypatch.setenv("EVIDENCE_SERVER_S3_BUCKET", settings.s3_bucket)
    monkeypatch.setenv("EVIDENCE_SERVER_S3_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("EVIDENCE_SERVER_S3_SECRET_ACCESS_KEY", "testing")


def test_the_cli_shows_then_aborts_an_abandoned_upload(client, people, ctx, monkeypatch):
    from typer.testing import CliRunner

    from ingest_server.cli import app

    orphan = ctx.storage.create_upload("clips/orphan-cli", hashlib.sha256(b"y").hexdigest(), "lost")
    live = register(client, people.auth("device"), clip_bytes(30_000, seed=5)).json()["upload_id"]
    _cli_env(monkeypatch, ctx.settings)

    def run(*args):
        result = CliRunner().invoke(app, ["uploads", "abort-abandoned", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "older than 24h: 0" in run()  # the default grace: just made, not abandoned
    shown = run("--grace", "0s", "--dry-run")
    assert "older than 0s: 1" in shown and f"clips/orphan-cli  upload {orphan}" in shown
    assert "dry run: nothing aborted (1 would be)" in shown and orphan in _open(ctx)
    done = run("--grace", "0s")
    assert f"upload {orphan}" in done and "aborted 1 (each audited" in done
    assert orphan not in _open(ctx) and live in _open(ctx)
    with ctx.sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.event_type == "upload.aborted_abandoned")
        ).all()
    assert [(e.object_id, e.actor.startswith("cli:")) for e in events] == [(orphan, True)]
    refused = CliRunner().invoke(app, ["uploads", "abort-abandoned", "--grace", "soon"])
    assert refused.exit_code == 2 and "not a duration" in refused.output


def test_the_worker_schedules_the_sweep_and_the_job_aborts(client, people, ctx):
    from ingest_server.job_kinds import HANDLERS, PERIODIC
    from ingest_server.jobs import kinds, runner, service
    from ingest_server.jobs.models import Job
    from ingest_server.jobs.worker import schedule_once

    assert kinds.ABORT_ABANDONED_UPLOADS in PERIODIC and kinds.ABORT_ABANDONED_UPLOADS in HANDLERS
    ctx.settings = ctx.settings.model_copy(update={"abandoned_uploads_grace_seconds": 0.0})
    orphan = ctx.storage.create_upload("clips/orphan-job", hashlib.sha256(b"z").hexdigest(), "lost")
    live = register(client, people.auth("device"), clip_bytes(30_000, seed=6)).json()["upload_id"]

    assert schedule_once(ctx, PERIODIC) == [kinds.ABORT_ABANDONED_UPLOADS]
    assert schedule_once(ctx, PERIODIC) == []  # queued already: one at a time
    with ctx.sessions() as session:
        job = session.scalars(select(Job).where(Job.kind == kinds.ABORT_ABANDONED_UPLOADS)).one()
    runner.run_job(ctx=ctx, handlers=HANDLERS, job_id=job.id, worker="test")
    with ctx.sessions() as session:
        job = session.get(Job, job.id)
        assert job.state == "done" and job.result["aborted"] == [
            {"key": "clips/orphan-job", "upload_id": orphan}
        ]
        actors = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.event_type == "upload.aborted_abandoned")
        ).all()
        every = timedelta(seconds=ctx.settings.abandoned_uploads_every_seconds)
        assert every == timedelta(hours=1)  # the default
        kind = kinds.ABORT_ABANDONED_UPLOADS
        assert not service.due(session=session, kind=kind, every=every, now=job.requested_at + every / 2)
        assert service.due(session=session, kind=kind, every=every, now=job.requested_at + every)
    assert actors == ["system:abandoned-uploads"]
    assert orphan not in _open(ctx) and live in _open(ctx)
    ctx.settings = ctx.settings.model_copy(update={"abandoned_uploads_every_seconds": 0.0})
    assert schedule_once(ctx, PERIODIC) == []  # 0: never
    ctx.settings = ctx.settings.model_copy(update={"abandoned_uploads_every_seconds": 0.001})
    assert schedule_once(ctx, PERIODIC) == [kinds.ABORT_ABANDONED_UPLOADS]  # due again: requested
