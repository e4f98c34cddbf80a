"""`enqueue_redaction`: the one place that decides how a redaction job runs.

The scan, the render and the following of hand-drawn boxes are background jobs (`jobs/`): kinds
`redaction.scan`, `redaction.render` and `redaction.follow`, subject the redaction id, run by
`evidence-server worker` through the handlers in `derived/handlers.py`. The request is made inside
the caller's transaction (`service.start`, `service.request_render`, `service.add_box` with
`follow=True`); the queue message goes out when it commits. A worker killed mid-job leaves the
redaction `scanning` / `rendering` and its job `running`; the next worker's sweep restarts it from
the original again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ingest_server.context import ServerContext
from ingest_server.jobs import kinds
from ingest_server.jobs import service as jobs
from ingest_server.jobs.models import Job

SCAN, RENDER, FOLLOW = "scan", "render", "follow"
KIND = {SCAN: kinds.REDACTION_SCAN, RENDER: kinds.REDACTION_RENDER, FOLLOW: kinds.REDACTION_FOLLOW}


def enqueue_redaction(
    *, ctx: ServerContext, session: Session, redaction_id: str, step: str, actor: str
) -> Job:
    """Request `step` ("scan", "render" or "follow") of a redaction as a job, in the caller's transaction."""
    if step not in KIND:
        raise ValueError(f"unknown redaction step {step!r}")
    return jobs.request(session=session, kind=KIND[step], subject=redaction_id, actor=actor, now=ctx.clock())


def latest(*, session: Session, redaction_id: str, step: str) -> Job | None:
    """The newest job of `step` for a redaction (its progress and time left, for the console)."""
    found = jobs.recent(session=session, limit=1, kind=KIND[step], subject=redaction_id)
    return found[0] if found else None
