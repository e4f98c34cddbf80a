"""`evidence-server worker`: a huey consumer that runs jobs, plus the sweep and the
periodic jobs.

At start, and every half lease while it runs, the worker sweeps
(`service.sweep`): a job left `running` by a worker process that is gone (same
host) or silent past the lease goes back to the queue and starts again. Several
workers, on one host or many (with Redis), may run at once; the conditional
claim gives each job to one of them.

Periodic jobs (`periodic`: kind -> how many seconds apart, from the settings; 0
is never) are requested by a schedule thread when the last job of that kind was
requested longer ago than that (`service.due`): the jobs table is the clock, so
several workers request one job between them, and a run shows in `jobs status`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta

from ingest_server.context import ServerContext
from ingest_server.jobs import queue, runner, service
from ingest_server.settings import Settings

log = logging.getLogger(__name__)
Every = Callable[[Settings], float]  # seconds between runs of a periodic kind, from the settings
SCHEDULE_TICK_SECONDS = 30.0


def _sweep_once(ctx: ServerContext) -> None:
    try:
        swept = service.sweep(sessions=ctx.sessions, settings=ctx.settings, now=ctx.clock())
    except Exception:
        log.exception("job sweep failed; trying again later")
        return
    for job_id in swept.restarted:
        log.warning("job %s restarted: its worker died", job_id)
    for job_id in swept.failed:
        log.error("job %s failed: its workers died too often", job_id)


def _sweeper(ctx: ServerContext, stop: threading.Event) -> None:
    while not stop.wait(ctx.settings.jobs_lease_seconds / 2):
        _sweep_once(ctx)


def schedule_once(ctx: ServerContext, periodic: Mapping[str, Every]) -> list[str]:
    """Request each periodic kind that is due; returns the kinds requested."""
    requested = []
    for kind, every in sorted(periodic.items()):
        seconds = every(ctx.settings)
        if seconds <= 0:
            continue
        try:
            with ctx.sessions() as session:
                now = ctx.clock()
                if service.due(session=session, kind=kind, every=timedelta(seconds=seconds), now=now):
                    service.request(
                        session=session, kind=kind, subject=kind, actor="system:schedule", now=now
                    )
                    session.commit()
                    requested.append(kind)
        except Exception:
            log.exception("periodic job %s not requested; trying again later", kind)
    return requested


def _scheduler(ctx: ServerContext, periodic: Mapping[str, Every], stop: threading.Event) -> None:
    while not stop.wait(SCHEDULE_TICK_SECONDS):
        schedule_once(ctx, periodic)


def run_worker(
    *,
    ctx: ServerContext,
    handlers: Mapping[str, runner.Handler],
    workers: int = 1,
    periodic: Mapping[str, Every] | None = None,
) -> None:
    """Run jobs until interrupted (SIGINT: finish the current jobs; SIGTERM: stop now)."""
    huey, _ = queue.queue_for(ctx.settings)
    queue.set_executor(lambda job_id: runner.run_job(ctx=ctx, handlers=handlers, job_id=job_id))
    _sweep_once(ctx)
    schedule_once(ctx, periodic or {})
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweeper, args=(ctx, stop), daemon=True, name="job-sweep")
    sweeper.start()
    schedule = threading.Thread(
        target=_scheduler, args=(ctx, periodic or {}, stop), daemon=True, name="job-schedule"
    )
    schedule.start()
    try:
        huey.create_consumer(workers=workers, worker_type="thread", periodic=False).run()
    finally:
        stop.set()
        queue.set_executor(None)
