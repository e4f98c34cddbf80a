"""A redaction's jobs in a real `evidence-server worker` process: the worker SIGKILLed mid-render
leaves no derived object (no row, nothing under `derived/<clip-id>/` in the store, every version
listed), and a new worker restarts the render (attempt 2) into exactly one. And an attempt killed
between its upload and its commit: the next attempt adopts the stored copy, never stores a second."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest_server.cli import app as cli_app
from ingest_server.derived import jobs, service
from ingest_server.derived.models import RENDERED, RENDERING, REVIEW, Redaction
from ingest_server.jobs import service as job_service
from ingest_server.jobs.models import Job, JobState
from tests.ingest_server.derived import inline
from tests.ingest_server.redaction import footage
from tests.support.polling import wait_until

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def footage_clip(tmp_path_factory):
    """Long enough (20 s, 300 frames) for a render to be caught part-way."""
    path = tmp_path_factory.mktemp("footage-long") / "AXON_0007.MP4"
    return footage.make(path, fps=15, seconds=20.0)


def _env(settings) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EVIDENCE_SERVER_DATA_DIR": str(settings.data_dir),
        "EVIDENCE_SERVER_DATABASE_URL": settings.db_url,
        "EVIDENCE_SERVER_S3_ENDPOINT_URL": settings.s3_endpoint_url,
        "EVIDENCE_SERVER_S3_BUCKET": settings.s3_bucket,
        "EVIDENCE_SERVER_S3_ACCESS_KEY_ID": "testing",
        "EVIDENCE_SERVER_S3_SECRET_ACCESS_KEY": "testing",
        "EVIDENCE_SERVER_JOBS_QUEUE_NAME": settings.jobs_queue_name,
    }


def _worker(settings, log: Path) -> subprocess.Popen:
    """`evidence-server worker`, the real command."""
    return subprocess.Popen(
        [sys.executable, "-c", "from ingest_server.cli import main; main()", "worker"],
        cwd=ROOT,
        env=_env(settings),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _stop(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGINT)
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(10)


def _job(ctx, redaction_id, step) -> Job | None:
    with ctx.sessions() as session:
        job = jobs.latest(session=session, redaction_id=redaction_id, step=step)
        if job is not None:
            session.expunge(job)
        return job


def _state(ctx, redaction_id) -> str:
    with ctx.sessions() as session:
        return session.get(Redaction, redaction_id).state


def test_a_worker_killed_mid_render_leaves_no_derived_copy_and_the_next_one_makes_exactly_one(
    ctx, stored_clip, custodians, tmp_path
):
    clip_id, original = stored_clip
    log = tmp_path / "worker.log"
    with ctx.sessions() as session:
        redaction_id = service.start(
            ctx=ctx, session=session, clip_id=clip_id, requester=custodians[0], reason="FOIA 88"
        ).id
    first = _worker(ctx.settings, log)
    try:
        wait_until(lambda: _state(ctx, redaction_id) == REVIEW, 300, "the worker's scan")
        with ctx.sessions() as session:
            service.request_render(ctx=ctx, session=session, redaction_id=redaction_id, user=custodians[0])
        mid = wait_until(
            lambda: (
                (j := _job(ctx, redaction_id, jobs.RENDER))
                and j.state == JobState.RUNNING
                and j.done_steps >= 30
                and j
            ),
            300,
            "the render to be 30 frames in",
            interval=0.05,
        )
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    killed = _job(ctx, redaction_id, jobs.RENDER)
    rows, versions = inline.derived_of(ctx, clip_id)
    print(
        f"\nkilled at frame {killed.done_steps}/{killed.total_steps} (seen {mid.done_steps}),"
        f" job {killed.state}, redaction {_state(ctx, redaction_id)},"
        f" rows {len(rows)}, objects {len(versions)}"
    )
    assert killed.state == JobState.RUNNING and killed.done_steps < killed.total_steps
    assert _state(ctx, redaction_id) == RENDERING
    assert rows == [] and versions == []  # no derived object: no row, nothing in the store

    second = _worker(ctx.settings, log)
    try:
        done = wait_until(
            lambda: (
                (j := _job(ctx, redaction_id, jobs.RENDER))
                and j.state in (JobState.DONE, JobState.FAILED)
                and j
            ),
            300,
            "the restarted render",
        )
    finally:
        _stop(second)
    print(f"after restart: {done.state}, attempt {done.attempts}, note {done.error!r}")
    assert done.state == JobState.DONE and done.attempts == 2, log.read_text()[-3000:]
    assert done.error.startswith(f"restarted: worker {killed.worker} is gone")
    rows, versions = inline.derived_of(ctx, clip_id)
    assert len(rows) == 1 and len(versions) == 1
    assert versions[0]["Key"] == rows[0].object_key and versions[0]["VersionId"] == rows[0].version_id
    stored = b"".join(ctx.storage.read(rows[0].object_key, rows[0].version_id)[0])
    assert hashlib.sha256(stored).hexdigest() == rows[0].sha256 != hashlib.sha256(original).hexdigest()
    assert _state(ctx, redaction_id) == RENDERED and done.result["derived_id"] == rows[0].id

    env = {
        "EVIDENCE_SERVER_DATA_DIR": str(ctx.settings.data_dir),
        "EVIDENCE_SERVER_DATABASE_URL": ctx.settings.db_url,
    }
    status = CliRunner().invoke(cli_app, ["jobs", "status"], env=env)
    print(status.output)
    assert status.exit_code == 0
    assert f"{done.id}  redaction.render" in status.output and "(attempt 2)" in status.output


class Killed(BaseException):
    """Stands for SIGKILL: nothing of the job's own error handling runs."""


def test_a_render_killed_between_upload_and_commit_is_adopted_not_stored_twice(
    ctx, stored_clip, custodians, monkeypatch
):
    clip_id, _ = stored_clip
    inline.scanned_and_rendering(ctx, clip_id, custodians[0], "FOIA 89")
    real = service.provenance.to_json

    def killed_after_upload(record):  # runs after the PUT, before the row's commit
        raise Killed

    monkeypatch.setattr(service.provenance, "to_json", killed_after_upload)
    with pytest.raises(Killed):
        inline.run_queued(ctx)
    rows, versions = inline.derived_of(ctx, clip_id)
    assert rows == [] and len(versions) == 1  # the complete, locked upload of the killed attempt
    monkeypatch.setattr(service.provenance, "to_json", real)

    swept = job_service.sweep(
        sessions=ctx.sessions, settings=ctx.settings, now=ctx.clock(), alive=lambda pid: False
    )
    assert len(swept.restarted) == 1
    (done,) = inline.run_queued(ctx)
    assert done.state == JobState.DONE and done.attempts == 2
    rows, versions = inline.derived_of(ctx, clip_id)
    print(f"\nafter the restart: rows {len(rows)}, objects under derived/{clip_id}/: {len(versions)}")
    assert len(rows) == 1 and len(versions) == 1 and versions[0]["VersionId"] == rows[0].version_id
    stored = b"".join(ctx.storage.read(rows[0].object_key, rows[0].version_id)[0])
    assert hashlib.sha256(stored).hexdigest() == rows[0].sha256
    with ctx.sessions() as session:
        record = json.loads(service.get_derived(session=session, derived_id=rows[0].id).provenance_json)
    assert record["derived"]["sha256"] == rows[0].sha256  # the record names the stored bytes
