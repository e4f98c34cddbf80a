"""Jobs in the database: request one (idempotent per kind and subject), claim it,
report progress, finish it, and find the ones a dead worker left running.

- `request(session=, kind=, subject=, actor=, now=)`: in the caller's
  transaction; the queue message goes out when that transaction commits
  (`install`), and the worker's sweep sends it if that message was lost. While a job of that kind
  and subject is queued it is returned as is; while one is running it is marked
  to run `again` when it finishes (its inputs changed under it).
- `claim` / `heartbeat` / `progress` / `finish` / `fail`: the runner's steps, each
  its own short transaction, each conditional on the job still being this
  worker's (a job the sweep took back is not finished by its old worker).
- `sweep`: running jobs whose worker is gone (same host, no such process) or
  silent longer than the lease go back to the queue, or fail after
  `jobs_max_attempts` starts; queued jobs whose message may be lost are re-sent.
  The decision is the pure `abandoned`.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ingest_server.jobs import queue
from ingest_server.jobs.models import ACTIVE, Job, JobState
from ingest_server.settings import Settings

_PENDING = "jobs.pending"
log = logging.getLogger(__name__)


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def install(*, sessions: sessionmaker[Session], settings: Settings) -> None:
    """Send the queue message of every job requested in a transaction once it commits.

    Called where a server context is built (app.py:build_context); without it,
    the worker's sweep sends a queued job whose last message is older than a
    lease (at most one and a half leases late).
    """

    def after_commit(session: Session) -> None:
        for job_id in session.info.pop(_PENDING, []):
            try:
                queue.send(settings, job_id)
            except Exception:  # the sweep re-sends it; the caller's transaction stands
                log.exception("job %s: queue message not sent; the worker's sweep will send it", job_id)

    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_rollback", lambda session: session.info.pop(_PENDING, None))


def active(*, session: Session, kind: str, subject: str) -> Job | None:
    query = select(Job).where(Job.kind == kind, Job.subject == subject, Job.state.in_(ACTIVE))
    return session.execute(query).scalar_one_or_none()


def request(
    *,
    session: Session,
    kind: str,
    subject: str,
    actor: str,
    now: datetime,
    params: dict | None = None,
) -> Job:
    """The queued or running job of this kind and subject, or a new one (sent on commit)."""
    current = active(session=session, kind=kind, subject=subject)
    if current is not None:
        if current.state == JobState.RUNNING:
            current.again = True
        return current
    job = Job(kind=kind, subject=subject, params=params or {}, requested_by=actor, requested_at=now)
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:  # another request won the race: the unique index keeps one
        return active(session=session, kind=kind, subject=subject) or job
    job.sent_at = now
    session.info.setdefault(_PENDING, []).append(job.id)
    return job


def due(*, session: Session, kind: str, every: timedelta, now: datetime) -> bool:
    """A periodic kind is due when none was ever requested, or the last one longer than `every`
    ago and none is queued or running."""
    last = session.execute(select(Job).where(Job.kind == kind).order_by(Job.requested_at.desc()).limit(1))
    job = last.scalar_one_or_none()
    return job is None or (job.state not in ACTIVE and now - job.requested_at >= every)


def get(*, session: Session, job_id: str) -> Job | None:
    return session.get(Job, job_id)


def recent(
    *, session: Session, limit: int = 50, kind: str | None = None, subject: str | None = None
) -> list[Job]:
    query = select(Job).order_by(Job.requested_at.desc(), Job.id).limit(limit)
    if kind:
        query = query.where(Job.kind == kind)
    if subject:
        query = query.where(Job.subject == subject)
    return list(session.execute(query).scalars())


def claim(*, sessions: sessionmaker[Session], job_id: str, worker: str, now: datetime) -> Job | None:
    """Take a queued job for this worker; None if it is not queued (a duplicate message)."""
    with sessions.begin() as session:
        taken = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.QUEUED)
            .values(
                state=JobState.RUNNING,
                worker=worker,
                heartbeat_at=now,
                started_at=now,
                finished_at=None,
                attempts=Job.attempts + 1,
                done_steps=0,
                eta_seconds=None,
            )
        ).rowcount
    if not taken:
        return None
    with sessions() as session:
        job = session.get(Job, job_id)
        session.expunge(job)
        return job


def _mine(job_id: str, worker: str):
    return update(Job).where(Job.id == job_id, Job.worker == worker, Job.state == JobState.RUNNING)


def heartbeat(*, sessions: sessionmaker[Session], job_id: str, worker: str, now: datetime) -> bool:
    """Renew the lease; False when the job is no longer this worker's."""
    with sessions.begin() as session:
        return bool(session.execute(_mine(job_id, worker).values(heartbeat_at=now)).rowcount)


def eta(*, started: datetime, now: datetime, done: int, total: int | None) -> float | None:
    """Seconds left at the pace so far (None until a step is done or without a total)."""
    if not total or done <= 0:
        return None
    return max(0.0, (now - started).total_seconds() * (total - done) / done)


def progress(
    *,
    sessions: sessionmaker[Session],
    job: Job,
    worker: str,
    now: datetime,
    done: int,
    total: int | None,
    step: str | None,
) -> bool:
    values = dict(
        done_steps=done,
        total_steps=total,
        step=step,
        heartbeat_at=now,
        eta_seconds=eta(started=job.started_at or now, now=now, done=done, total=total),
    )
    with sessions.begin() as session:
        return bool(session.execute(_mine(job.id, worker).values(**values)).rowcount)


def finish(
    *, sessions: sessionmaker[Session], settings: Settings, job: Job, worker: str, now: datetime, result: dict
) -> bool:
    """Mark the job done; if it was asked for again meanwhile, queue a fresh one."""
    with sessions.begin() as session:
        mine = session.execute(
            _mine(job.id, worker).values(
                state=JobState.DONE, finished_at=now, result=result, eta_seconds=0.0, step=None
            )
        ).rowcount
        row = session.get(Job, job.id)
        if mine and row is not None and row.again:
            again = request(
                session=session,
                kind=job.kind,
                subject=job.subject,
                params=job.params,
                actor=row.requested_by,
                now=now,
            )
            session.info.pop(_PENDING, None)
            resend = again.id
        else:
            resend = None
    if resend:
        queue.send(settings, resend)
    return bool(mine)


def fail(*, sessions: sessionmaker[Session], job: Job, worker: str, now: datetime, error: str) -> bool:
    with sessions.begin() as session:
        values = dict(state=JobState.FAILED, finished_at=now, error=error[:2000], eta_seconds=None)
        return bool(session.execute(_mine(job.id, worker).values(**values)).rowcount)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandoned(
    *, worker: str | None, heartbeat_at: datetime | None, now: datetime, lease: float, host: str, alive
) -> str | None:
    """Why a running job's worker is taken for dead, or None while it may still be working.

    A worker on this host is dead as soon as its process is gone; any worker is
    taken for dead once silent longer than the lease (it renews every quarter lease).
    """
    name, _, pid = (worker or "").rpartition(":")
    if name == host and pid.isdigit() and not alive(int(pid)):
        return f"worker {worker} is gone"
    if heartbeat_at is None or now - heartbeat_at > timedelta(seconds=lease):
        return f"no heartbeat from worker {worker} for more than {lease:g} s"
    return None


@dataclass(frozen=True)
class Swept:
    restarted: list[str]
    failed: list[str]
    resent: list[str]


def sweep(*, sessions: sessionmaker[Session], settings: Settings, now: datetime, alive=pid_alive) -> Swept:
    """Restart (or fail) jobs left running by dead workers; re-send stale queued jobs."""
    host = socket.gethostname()
    lease = settings.jobs_lease_seconds
    restarted, failed, resent = [], [], []
    with sessions.begin() as session:
        running = session.execute(select(Job).where(Job.state == JobState.RUNNING)).scalars().all()
        for job in running:
            why = abandoned(
                worker=job.worker, heartbeat_at=job.heartbeat_at, now=now, lease=lease, host=host, alive=alive
            )
            if why is None:
                continue
            if job.attempts >= settings.jobs_max_attempts:
                job.state, job.finished_at = JobState.FAILED, now
                job.error = f"{why}; failed after {job.attempts} starts"
                failed.append(job.id)
            else:
                job.state, job.worker, job.error, job.sent_at = (
                    JobState.QUEUED,
                    None,
                    f"restarted: {why}",
                    now,
                )
                restarted.append(job.id)
        stale = now - timedelta(seconds=lease)
        queued = session.execute(
            select(Job).where(Job.state == JobState.QUEUED, (Job.sent_at.is_(None)) | (Job.sent_at < stale))
        ).scalars()
        for job in queued:
            job.sent_at = now
            resent.append(job.id)
    for job_id in restarted + resent:
        queue.send(settings, job_id)
    return Swept(restarted, failed, resent)
