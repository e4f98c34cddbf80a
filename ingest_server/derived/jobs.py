"""`enqueue_redaction`: the one place that decides how a redaction job runs.

INTERIM RUNNER. Issue 14 wants the scan and the render in `evidence-server worker` processes on a
job library (huey), with restart after a kill; that library was not on main when this was written.
Until it is, a job runs on a daemon thread of the server process that asked for it. What that does
not give: a job outlives no restart of the server (the redaction stays `scanning` / `rendering`; a
custodian starts a new one), and there is no queue across processes. What it keeps: the renderer
writes a derived file complete or not at all (`redaction/atomic.py`), the store receives only a
finished, hashed copy, and a job run twice does nothing twice (the state is checked first). Switching
to the job library is this module only: `enqueue_redaction` becomes a huey task call.
"""

from __future__ import annotations

import logging
import threading

from ingest_server.context import ServerContext
from ingest_server.derived import service
from ingest_server.redaction.detect import FaceDetector

log = logging.getLogger(__name__)
SCAN, RENDER = "scan", "render"
_detector = None
_detector_lock = threading.Lock()
_running: set[threading.Thread] = set()


def detector():
    """One face detector per process (loading the model costs about a second)."""
    global _detector
    with _detector_lock:
        if _detector is None:
            _detector = FaceDetector()
        return _detector


def run(*, ctx: ServerContext, redaction_id: str, step: str) -> None:
    """Run one step now, in this thread (what a worker process would call)."""
    if step == SCAN:
        service.run_scan(ctx=ctx, redaction_id=redaction_id, detector=detector())
    elif step == RENDER:
        service.run_render(ctx=ctx, redaction_id=redaction_id)
    else:
        raise ValueError(f"unknown redaction step {step!r}")


def enqueue_redaction(*, ctx: ServerContext, redaction_id: str, step: str) -> threading.Thread:
    """Start `step` ("scan" or "render") of a redaction in the background."""
    if step not in (SCAN, RENDER):
        raise ValueError(f"unknown redaction step {step!r}")

    def body() -> None:
        try:
            run(ctx=ctx, redaction_id=redaction_id, step=step)
        except Exception:  # recorded on the redaction (state failed, with the reason) by the service
            log.exception("redaction %s: %s failed", redaction_id, step)
        finally:
            _running.discard(thread)

    thread = threading.Thread(target=body, name=f"redaction-{step}-{redaction_id[:8]}", daemon=True)
    _running.add(thread)
    thread.start()
    return thread


def wait_idle(timeout: float = 120.0) -> None:
    """Wait for every job this process started (tests, orderly shutdown)."""
    for thread in list(_running):
        thread.join(timeout)
