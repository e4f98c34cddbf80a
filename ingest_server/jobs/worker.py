"""`evidence-server worker`: a huey consumer that runs jobs, plus the sweep.

At start, and every half lease while it runs, the worker sweeps
(`service.sweep`): a job left `running` by a worker process that is gone (same
host) or silent past the lease goes back to the queue and starts again. Several
workers, on one host or many (with Redis), may run at once; the conditional
claim gives each job to one of them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from ingest_server.context import ServerContext
from ingest_server.jobs import queue, runner, service

log = logging.getLogger(__name__)


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


def run_worker(*, ctx: ServerContext, handlers: Mapping[str, runner.Handler], workers: int = 1) -> None:
    """Run jobs until interrupted (SIGINT: finish the current jobs; SIGTERM: stop now)."""
    huey, _ = queue.queue_for(ctx.settings)
    queue.set_executor(lambda job_id: runner.run_job(ctx=ctx, handlers=handlers, job_id=job_id))
    _sweep_once(ctx)
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweeper, args=(ctx, stop), daemon=True, name="job-sweep")
    sweeper.start()
    try:
        huey.create_consumer(workers=workers, worker_type="thread", periodic=False).run()
    finally:
        stop.set()
        queue.set_executor(None)
