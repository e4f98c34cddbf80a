"""Run a redaction's queued jobs in the test's own process, through the worker's runner and the
handlers `evidence-server worker` is given (`job_kinds.HANDLERS`): claim, progress, finish or fail,
as in a worker. The real worker processes are in test_worker_kill.py and the browser test."""

from __future__ import annotations

from sqlalchemy import select

from ingest_server.derived import service
from ingest_server.derived.models import DerivedObject
from ingest_server.job_kinds import HANDLERS
from ingest_server.jobs import runner
from ingest_server.jobs.models import Job, JobState


def run_queued(ctx, redaction_id: str | None = None) -> list[Job]:
    """Run every queued redaction job (of one redaction, if given); the jobs as they ended."""
    ran = []
    while True:
        with ctx.sessions() as session:
            query = select(Job).where(Job.state == JobState.QUEUED, Job.kind.like("redaction.%"))
            if redaction_id:
                query = query.where(Job.subject == redaction_id)
            job = session.execute(query.order_by(Job.requested_at)).scalars().first()
            if job is None:
                return ran
            job_id = job.id
        runner.run_job(ctx=ctx, handlers=HANDLERS, job_id=job_id)
        with ctx.sessions() as session:
            done = session.get(Job, job_id)
            session.expunge(done)
            ran.append(done)


def derived_of(ctx, clip_id: str):
    """(rows, every version and delete marker under derived/<clip-id>/ in the store)."""
    with ctx.sessions() as session:
        rows = list(
            session.execute(select(DerivedObject).where(DerivedObject.parent_clip_id == clip_id)).scalars()
        )
        for row in rows:
            session.expunge(row)
    listing = ctx.storage.client.list_object_versions(Bucket=ctx.storage.bucket, Prefix=f"derived/{clip_id}/")
    return rows, listing.get("Versions", []) + listing.get("DeleteMarkers", [])


def scanned_and_rendering(ctx, clip_id: str, user, reason: str, before_render=None) -> str:
    """Start a redaction, run its scan, (`before_render(session, redaction_id)`), request its render
    (queued, not run); the redaction id."""
    with ctx.sessions() as session:
        redaction_id = service.start(
            ctx=ctx, session=session, clip_id=clip_id, requester=user, reason=reason
        ).id
    assert [j.state for j in run_queued(ctx)] == [JobState.DONE]
    with ctx.sessions() as session:
        if before_render is not None:
            before_render(session, redaction_id)
        service.request_render(ctx=ctx, session=session, redaction_id=redaction_id, user=user)
    return redaction_id
