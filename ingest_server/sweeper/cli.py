"""`evidence-server retention|fixity|reports ...`: the sweeper, fixity and the
reporting exports from the command line. Registered in ingest_server/cli.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ingest_server.cli_common import cli_actor, open_context

retention_app = typer.Typer(help="Retention: sweep expired originals.", no_args_is_help=True)
fixity_app = typer.Typer(
    help="Fixity: re-read and re-hash stored originals and their sidecars.", no_args_is_help=True
)
reports_app = typer.Typer(help="Use-of-force reporting: OPM export, public statistics.", no_args_is_help=True)


@retention_app.command("sweep")
def sweep(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be deleted; delete nothing.")
    ] = False,
) -> None:
    """Delete every expired, unheld original, with a deletion certificate (exit 1 on failures, 3 if busy)."""
    from ingest_server.sweeper import service as sweeper

    ctx = open_context()
    result = sweeper.sweep(
        ctx=ctx,
        dry_run=dry_run,
        actor=cli_actor(),
        progress=lambda n, total: typer.echo(f"  {n}/{total}", err=True),
    )
    for line in result.lines():
        typer.echo(line)
    if result.busy:
        raise typer.Exit(3)
    if result.failed:
        raise typer.Exit(1)


@fixity_app.command("check")
def fixity_check(
    sample: Annotated[float, typer.Option(help="Fraction of stored clips to check (0 < f <= 1).")] = 1.0,
) -> None:
    """Re-hash stored originals and compare with the index (exit 1 on any mismatch)."""
    from ingest_server.fixity import service as fixity

    if not 0 < sample <= 1:
        typer.echo(f"error: --sample must be in (0, 1], got {sample}", err=True)
        raise typer.Exit(2)
    ctx = open_context()
    with ctx.sessions() as session:
        run = fixity.check(
            ctx=ctx,
            session=session,
            sample=sample,
            actor=cli_actor(),
            progress=lambda n, total: typer.echo(f"  {n}/{total}", err=True),
        )
    for line in run.lines():
        typer.echo(line)
    if run.mismatches:
        raise typer.Exit(1)


@reports_app.command("export-opm")
def export_opm(
    year: Annotated[int, typer.Option(help="Incident year.")],
    out: Annotated[Path, typer.Option(help="Output file prefix; writes PREFIX.csv and PREFIX.json.")],
) -> None:
    """Write the annual OPM export (CSV and JSON), redacted for minors, victims and witnesses."""
    from ingest_server.audit import service as audit
    from ingest_server.reporting import opm
    from ingest_server.reporting import service as reporting

    ctx = open_context()
    with ctx.sessions() as session:
        table = opm.rows(reporting.records(session=session, year=year))
        session.rollback()
        audit.append(
            session=session,
            source="cli",
            component="reporting",
            event_type="reporting.opm_export",
            actor=cli_actor(),
            outcome="success",
            detail={"year": year, "rows": len(table), "out": str(out)},
        )
        session.commit()
    out.with_suffix(".csv").write_text(opm.to_csv(table), encoding="utf-8")
    out.with_suffix(".json").write_text(opm.to_json(table, year), encoding="utf-8")
    typer.echo(f"{len(table)} rows written to {out.with_suffix('.csv')} and {out.with_suffix('.json')}")


@reports_app.command("stats")
def stats_cmd(year: Annotated[int, typer.Option(help="Incident year.")]) -> None:
    """Print one year of the public statistics (JSON), exactly as the API and the public pages show them."""
    from ingest_server.public import service as public
    from ingest_server.reporting import stats

    ctx = open_context()
    with ctx.sessions() as session:
        result = stats.year_stats(public.build(session=session, now=ctx.clock()), year)
    typer.echo(json.dumps(result, indent=2))


def register(app: typer.Typer) -> None:
    """Add the `retention`, `fixity` and `reports` command groups to `evidence-server`."""
    app.add_typer(retention_app, name="retention")
    app.add_typer(fixity_app, name="fixity")
    app.add_typer(reports_app, name="reports")
