"""A job worker for the tests: the real `run_worker` with one test kind, `test.slow`.

`test.slow` takes `steps` steps of `step_s` seconds, reporting progress, then
writes its output the way handlers must: into a scratch file, fsynced, renamed
into place in one step. Its settings come from EVIDENCE_SERVER_* like the real
worker's; the store is never touched.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ingest_server.app import build_context
from ingest_server.jobs.runner import JobRun
from ingest_server.jobs.worker import run_worker
from ingest_server.settings import Settings
from ingest_server.storage import Storage

SLOW = "test.slow"


def output_path(settings: Settings, subject: str) -> Path:
    return settings.data_dir / "out" / f"{subject}.txt"


def slow(run: JobRun) -> dict:
    steps, step_s = int(run.params.get("steps", 5)), float(run.params.get("step_s", 0.3))
    for done in range(steps):
        time.sleep(step_s)
        run.progress(done + 1, steps, f"step {done + 1}")
    final = output_path(run.ctx.settings, run.job.subject)
    final.parent.mkdir(parents=True, exist_ok=True)
    scratch = final.with_suffix(f".{os.getpid()}.partial")
    with scratch.open("w") as out:
        out.write(f"{run.job.id} finished by {run.worker}\n")
        out.flush()
        os.fsync(out.fileno())
    scratch.replace(final)
    return {"steps": steps}


def main() -> None:
    settings = Settings()
    ctx = build_context(settings, storage=Storage(None, "unused"))
    run_worker(ctx=ctx, handlers={SLOW: slow})


if __name__ == "__main__":
    main()
