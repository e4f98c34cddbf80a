"""Which handler runs each job kind: the one list the worker is given.

A new kind is a constant in `jobs/kinds.py`, a handler `handler(run: JobRun) -> dict`
in its domain package, and a row here.
"""

from __future__ import annotations

from ingest_server.alignment import job as alignment_job
from ingest_server.derived import handlers as redaction_jobs
from ingest_server.jobs import kinds
from ingest_server.jobs.runner import Handler

HANDLERS: dict[str, Handler] = {
    kinds.ALIGN_REPORT: alignment_job.align_report,
    kinds.REDACTION_SCAN: redaction_jobs.scan,
    kinds.REDACTION_RENDER: redaction_jobs.render,
}
