"""The job queue: huey, on SQLite under the data folder (embedded) or on Redis
(`jobs_redis_url`, several servers and workers).

One huey task, `evidence.run_job(job_id)`, carries every job: the jobs table says
what the job is, so a message is only a wake-up call and a duplicate is harmless
(the claim is a conditional UPDATE; a second message for a job already claimed
is dropped). huey keeps no results (the table does).
"""

from __future__ import annotations

from collections.abc import Callable
from threading import Lock

from huey import Huey, RedisHuey, SqliteHuey

from ingest_server.settings import Settings

TASK_NAME = "evidence.run_job"
_queues: dict[tuple, tuple[Huey, Callable]] = {}
_lock = Lock()
# set by the worker process (jobs/worker.py): what a message runs; None elsewhere
_executor: Callable[[str], None] | None = None


def _run_job(job_id: str) -> None:
    if _executor is None:
        raise RuntimeError("this process is not a job worker (evidence-server worker)")
    _executor(job_id)


def set_executor(executor: Callable[[str], None] | None) -> None:
    global _executor
    _executor = executor


def _key(settings: Settings) -> tuple:
    return (settings.jobs_redis_url or str(settings.jobs_path.resolve()), settings.jobs_queue_name)


def make_huey(settings: Settings) -> Huey:
    if settings.jobs_redis_url:
        return RedisHuey(settings.jobs_queue_name, url=settings.jobs_redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.jobs_queue_name, filename=str(settings.jobs_path), results=False)


def queue_for(settings: Settings) -> tuple[Huey, Callable]:
    """(huey, the run_job task) for these settings; one per queue per process."""
    with _lock:
        key = _key(settings)
        if key not in _queues:
            huey = make_huey(settings)
            _queues[key] = (huey, huey.task(name=TASK_NAME)(_run_job))
        return _queues[key]


def send(settings: Settings, job_id: str) -> None:
    """Put a wake-up message for the job on the queue."""
    _, task = queue_for(settings)
    task(job_id)
