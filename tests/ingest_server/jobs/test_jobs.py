"""The job mechanism: one job per kind and subject, progress, and a worker killed
mid-job (SIGKILL) that leaves nothing half-written, its job restarted on its own
by the next worker. Real worker processes, huey on SQLite and on Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest_server import migrate
from ingest_server.app import build_context
from ingest_server.cli import app as cli_app
from ingest_server.jobs import service as jobs
from ingest_server.jobs.models import Job, JobState
from ingest_server.settings import Settings
from ingest_server.storage import Storage
from ingest_server.types import utcnow
from tests.ingest_server.jobs.slow_worker import SLOW, output_path
from tests.support.polling import wait_until

ROOT = Path(__file__).resolve().parents[3]
REDIS = "redis://127.0.0.1:6379/0"
HOST = "host-a"
T0 = utcnow()


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.parametrize(
    ("worker", "beat_age", "alive", "why"),
    [
        ("host-a:41", 1, True, None),  # alive, beating
        ("host-a:41", 1, False, "worker host-a:41 is gone"),  # same host, process gone
        ("host-b:41", 1, False, None),  # another host: only its silence counts
        ("host-b:41", 31, True, "no heartbeat from worker host-b:41 for more than 30 s"),
        ("host-a:41", 31, True, "no heartbeat from worker host-a:41 for more than 30 s"),
    ],
)
def test_abandoned_decides_from_the_process_and_the_lease(worker, beat_age, alive, why):
    got = jobs.abandoned(
        worker=worker,
        heartbeat_at=T0 - timedelta(seconds=beat_age),
        now=T0,
        lease=30,
        host=HOST,
        alive=lambda pid: alive,
    )
    assert got == why


def test_eta_follows_the_pace_so_far():
    assert jobs.eta(started=T0, now=T0 + timedelta(seconds=10), done=2, total=10) == pytest.approx(40)
    assert jobs.eta(started=T0, now=T0 + timedelta(seconds=10), done=0, total=10) is None


def _settings(tmp_path: Path, redis_url: str | None = None, lease: float = 2.0) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'evidence.sqlite3'}",
        jobs_redis_url=redis_url,
        jobs_queue_name=f"test-{uuid.uuid4().hex[:12]}",
        jobs_lease_seconds=lease,
    )


@pytest.fixture
def ctx(tmp_path):
    settings = _settings(tmp_path)
    migrate.upgrade(settings.db_url)
    context = build_context(settings, storage=Storage(None, "unused"))
    yield context
    context.engine.dispose()


def _request(ctx, subject="r1", **params) -> str:
    with ctx.sessions() as session:
        job = jobs.request(
            session=session, kind=SLOW, subject=subject, actor="test", now=ctx.clock(), params=params
        )
        session.commit()
        return job.id


def test_one_job_per_kind_and_subject_while_it_is_active(ctx):
    first = _request(ctx)
    assert _request(ctx) == first  # queued: the same job
    assert _request(ctx, subject="r2") != first
    assert jobs.claim(sessions=ctx.sessions, job_id=first, worker="w:1", now=ctx.clock())
    assert jobs.claim(sessions=ctx.sessions, job_id=first, worker="w:2", now=ctx.clock()) is None  # duplicate
    assert _request(ctx) == first  # running: the same job, marked to run again
    with ctx.sessions() as session:
        assert session.get(Job, first).again
    job = _job(ctx, first)
    assert jobs.finish(
        sessions=ctx.sessions, settings=ctx.settings, job=job, worker="w:1", now=ctx.clock(), result={}
    )
    with ctx.sessions() as session:
        rows = jobs.recent(session=session, kind=SLOW, subject="r1")
        assert [r.state for r in rows] == [JobState.QUEUED, JobState.DONE]  # the re-run, then the first


def _worker(settings: Settings, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EVIDENCE_SERVER_DATA_DIR": str(settings.data_dir),
        "EVIDENCE_SERVER_DATABASE_URL": settings.db_url,
        "EVIDENCE_SERVER_JOBS_QUEUE_NAME": settings.jobs_queue_name,
        "EVIDENCE_SERVER_JOBS_LEASE_SECONDS": str(settings.jobs_lease_seconds),
    }
    if settings.jobs_redis_url:
        env["EVIDENCE_SERVER_JOBS_REDIS_URL"] = settings.jobs_redis_url
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ingest_server.jobs.slow_worker"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _job(ctx, job_id) -> Job:
    with ctx.sessions() as session:
        job = session.get(Job, job_id)
        session.expunge(job)
        return job


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_worker_killed_mid_job_leaves_no_output_and_the_next_worker_restarts_the_job(tmp_path, backend):
    if backend == "redis" and not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings = _settings(tmp_path, REDIS if backend == "redis" else None)
    migrate.upgrade(settings.db_url)
    ctx = build_context(settings, storage=Storage(None, "unused"))
    log = tmp_path / "worker.log"
    job_id = _request(ctx, subject="report-9", steps=12, step_s=0.25)
    first = _worker(settings, log)
    try:
        wait_until(lambda: _job(ctx, job_id).done_steps >= 3, 60, "the first worker to be 3 steps in")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    killed = _job(ctx, job_id)
    print(f"\n[{backend}] killed at step {killed.done_steps}/{killed.total_steps}, state {killed.state}")
    assert killed.state == JobState.RUNNING and killed.done_steps < 12
    assert not output_path(settings, "report-9").exists()  # nothing half-written, nothing written

    second = _worker(settings, log)
    try:
        done = wait_until(
            lambda: (j := _job(ctx, job_id)).state == JobState.DONE and j, 90, "the restarted job"
        )
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.wait(20)
        except subprocess.TimeoutExpired:
            second.kill()
    print(f"[{backend}] after restart: {done.state}, attempts {done.attempts}, error note {done.error!r}")
    assert done.attempts == 2 and done.done_steps == 12
    assert done.error.startswith(f"restarted: worker {killed.worker} is gone")
    out = output_path(settings, "report-9").read_text()
    assert out.startswith(job_id) and str(second.pid) in out
    assert not list(output_path(settings, "report-9").parent.glob("*.partial"))

    env = {
        "EVIDENCE_SERVER_DATA_DIR": str(settings.data_dir),
        "EVIDENCE_SERVER_DATABASE_URL": settings.db_url,
    }
    status = CliRunner().invoke(cli_app, ["jobs", "status"], env=env)
    print(status.output)
    assert status.exit_code == 0
    assert f"{job_id}  {SLOW}" in status.output and "done" in status.output and "steps 12/12" in status.output
    ctx.engine.dispose()


def test_a_job_silent_past_its_lease_on_another_host_is_restarted(ctx):
    job_id = _request(ctx)
    jobs.claim(
        sessions=ctx.sessions, job_id=job_id, worker="elsewhere:7", now=ctx.clock() - timedelta(seconds=60)
    )
    swept = jobs.sweep(sessions=ctx.sessions, settings=ctx.settings, now=ctx.clock())
    assert swept.restarted == [job_id]
    job = _job(ctx, job_id)
    assert job.state == JobState.QUEUED and "no heartbeat from worker elsewhere:7" in job.error


def test_a_job_whose_workers_keep_dying_fails_with_the_reason(ctx):
    job_id = _request(ctx)
    for _ in range(ctx.settings.jobs_max_attempts):
        assert jobs.claim(
            sessions=ctx.sessions, job_id=job_id, worker="gone:1", now=ctx.clock() - timedelta(hours=1)
        )
        jobs.sweep(sessions=ctx.sessions, settings=ctx.settings, now=ctx.clock())
    job = _job(ctx, job_id)
    assert job.state == JobState.FAILED and job.error.endswith(
        f"failed after {ctx.settings.jobs_max_attempts} starts"
    )
