"""Run one job in a worker: claim it, keep its lease alive, call its handler,
record the outcome.

A handler is `handler(run: JobRun) -> dict` (JSON-able; stored as the job's
result). It reports progress with `run.progress(done, total, step)`. It must
write its outputs so that a kill at any instant leaves nothing half-written: in
one database transaction at the end, or to a temporary place moved into view in
one step, or idempotently (a restarted job runs again from the start). A handler
that raises fails the job with its error in one line; only a dead worker's job
is restarted on its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ingest_server.context import ServerContext
from ingest_server.jobs import service
from ingest_server.jobs.models import Job

log = logging.getLogger(__name__)


@dataclass
class JobRun:
    ctx: ServerContext
    job: Job
    worker: str
    lost: threading.Event = field(default_factory=threading.Event)  # the sweep took the job back

    @property
    def params(self) -> dict:
        return dict(self.job.params or {})

    def progress(self, done: int, total: int | None = None, step: str | None = None) -> None:
        ok = service.progress(
            sessions=self.ctx.sessions,
            job=self.job,
            worker=self.worker,
            now=self.ctx.clock(),
            done=done,
            total=total,
            step=step,
        )
        if not ok:
            self.lost.set()


Handler = Callable[[JobRun], dict]


def _heartbeat(run: JobRun, stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        if not service.heartbeat(
            sessions=run.ctx.sessions, job_id=run.job.id, worker=run.worker, now=run.ctx.clock()
        ):
            run.lost.set()
            log.warning("job %s is no longer this worker's (taken back by the sweep)", run.job.id)
            return


def run_job(
    *, ctx: ServerContext, handlers: Mapping[str, Handler], job_id: str, worker: str | None = None
) -> None:
    worker = worker or service.this_worker()
    job = service.claim(sessions=ctx.sessions, job_id=job_id, worker=worker, now=ctx.clock())
    if job is None:
        log.info("job %s is not queued (already taken or finished): message dropped", job_id)
        return
    run = JobRun(ctx=ctx, job=job, worker=worker)
    handler = handlers.get(job.kind)
    if handler is None:
        service.fail(
            sessions=ctx.sessions, job=job, worker=worker, now=ctx.clock(), error=f"no handler for {job.kind}"
        )
        return
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat,
        args=(run, stop, ctx.settings.jobs_lease_seconds / 4),
        daemon=True,
        name=f"lease-{job_id}",
    )
    beat.start()
    try:
        result = handler(run)
    except Exception as error:  # the job fails; the worker goes on
        log.exception("job %s (%s %s) failed", job.id, job.kind, job.subject)
        message = f"{type(error).__name__}: {error}".splitlines()[0]
        service.fail(sessions=ctx.sessions, job=job, worker=worker, now=ctx.clock(), error=message)
        return
    finally:
        stop.set()
        beat.join()
    service.finish(
        sessions=ctx.sessions,
        settings=ctx.settings,
        job=job,
        worker=worker,
        now=ctx.clock(),
        result=result or {},
    )
