"""The `alignment.report` job: align a report's linked clips (alignment/service.py)."""

from __future__ import annotations

from ingest_server.alignment import service
from ingest_server.jobs.runner import JobRun


def align_report(run: JobRun) -> dict:
    return service.align_report(
        ctx=run.ctx,
        report_id=run.job.subject,
        job_id=run.job.id,
        progress=lambda done, total, step: run.progress(done, total, step),
    )
