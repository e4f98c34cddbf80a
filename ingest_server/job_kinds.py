"""Which handler runs each job kind: the one list the worker is given.

A new kind is a constant in `jobs/kinds.py`, a handler `handler(run: JobRun) -> dict`
in its domain package, and a row here. A kind in `PERIODIC` is also requested by
the worker every so many seconds (its settings say how many; 0: never).
"""

from __future__ import annotations

from ingest_server.alignment import job as alignment_job
from ingest_server.derived import handlers as redaction_jobs
from ingest_server.jobs import kinds
from ingest_server.jobs.runner import Handler
from ingest_server.jobs.worker import Every
from ingest_server.uploads import abandoned

HANDLERS: dict[str, Handler] = {
    kinds.ALIGN_REPORT: alignment_job.align_report,
    kinds.REDACTION_SCAN: redaction_jobs.scan,
    kinds.REDACTION_RENDER: redaction_jobs.render,
    kinds.REDACTION_FOLLOW: redaction_jobs.follow,
    kinds.ABORT_ABANDONED_UPLOADS: abandoned.sweep_job,
}
PERIODIC: dict[str, Every] = {
    kinds.ABORT_ABANDONED_UPLOADS: lambda settings: settings.abandoned_uploads_every_seconds,
}
