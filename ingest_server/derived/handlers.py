"""The `redaction.scan`, `redaction.render` and `redaction.follow` job handlers (rows in
`job_kinds.py:HANDLERS`): `service.run_scan` / `service.run_render` / `service.run_follow` for the
job's subject (a redaction id), frames done of the total as the job's progress. What a kill at any
instant leaves is the service's business: nothing half-written, and a restarted render adopts the
copy an earlier attempt stored (`run_render`)."""

from __future__ import annotations

import threading

from ingest_server.derived import service
from ingest_server.jobs.runner import JobRun
from ingest_server.redaction.detect import FaceDetector

_detector: FaceDetector | None = None
_detector_lock = threading.Lock()


def detector() -> FaceDetector:
    """One face detector per process (loading the model costs about a second)."""
    global _detector
    with _detector_lock:
        if _detector is None:
            _detector = FaceDetector()
        return _detector


def scan(run: JobRun) -> dict:
    service.run_scan(
        ctx=run.ctx,
        redaction_id=run.job.subject,
        detector=detector(),
        progress=lambda frames, total: run.progress(frames, total, "scanning frames for faces"),
    )
    return _outcome(run)


def render(run: JobRun) -> dict:
    service.run_render(
        ctx=run.ctx,
        redaction_id=run.job.subject,
        progress=lambda frames, total: run.progress(frames, total, "rendering the redacted copy"),
    )
    return _outcome(run)


def follow(run: JobRun) -> dict:
    followed = service.run_follow(
        ctx=run.ctx,
        redaction_id=run.job.subject,
        progress=lambda frames, total: run.progress(frames, total, "following the hand-drawn boxes"),
    )
    return {**_outcome(run), "followed": followed}


def _outcome(run: JobRun) -> dict:
    with run.ctx.sessions() as session:
        row = service.get_redaction(session=session, redaction_id=run.job.subject)
        return {"state": row.state, "frames": row.frames_done, "derived_id": row.derived_id}
