"""`evidence-server worker` (run jobs) and `evidence-server jobs status` (see them).

The worker takes the same EVIDENCE_SERVER_* settings as the server: the queue is
SQLite under the data folder unless `EVIDENCE_SERVER_JOBS_REDIS_URL` is set.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer

from ingest_server.cli_common import load_settings, open_context, open_sessions

if TYPE_CHECKING:
    from ingest_server.jobs.models import Job

jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)


def worker(
    workers: Annotated[int, typer.Option(min=1, max=32, help="Jobs run at once (threads).")] = 1,
) -> None:
    """Run background jobs (alignment, redaction, ...) until interrupted."""
    from ingest_server.job_kinds import HANDLERS, PERIODIC
    from ingest_server.jobs import worker as job_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx = open_context()
    typer.echo(f"worker: kinds {', '.join(sorted(HANDLERS))}; lease {ctx.settings.jobs_lease_seconds:g} s")
    for kind, every in sorted(PERIODIC.items()):
        seconds = every(ctx.settings)
        typer.echo(f"worker: {kind} every {seconds:g} s" if seconds > 0 else f"worker: {kind} never (0)")
    job_worker.run_worker(ctx=ctx, handlers=HANDLERS, workers=workers, periodic=PERIODIC)


def line(job: Job) -> str:
    done = f"{job.done_steps}/{job.total_steps}" if job.total_steps else f"{job.done_steps}"
    eta = f", about {job.eta_seconds:.0f} s left" if job.eta_seconds and job.state == "running" else ""
    step = f" — {job.step}" if job.step and job.state == "running" else ""
    error = f" — {job.error}" if job.error else ""
    return (
        f"{job.id}  {job.kind:<18} {job.subject[:32]:<32} {job.state:<8} steps {done}{eta}"
        f" (attempt {job.attempts}){step}{error}"
    )


@jobs_app.command("status")
def status(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
) -> None:
    """The most recent jobs: state, steps done of total, time left, error."""
    from ingest_server.jobs import service as jobs

    sessions = open_sessions(load_settings())
    with sessions() as session:
        rows = jobs.recent(session=session, limit=limit, kind=kind)
        if not rows:
            typer.echo("no jobs")
        for job in rows:
            typer.echo(line(job))
