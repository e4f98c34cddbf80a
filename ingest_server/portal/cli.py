"""`evidence-server portal ...`: console passwords and court packages from the
command line. Registered in ingest_server/cli.py with one line.

    evidence-server portal set-password USERNAME        (asks twice, hidden; or --stdin)
    evidence-server portal export --share ID --out DIR  (or --report NUMBER)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ingest_server.cli_common import cli_actor, load_settings, open_context, open_sessions

app = typer.Typer(help="Review portal: console passwords, court packages.", no_args_is_help=True)


@app.command("set-password")
def set_password(
    username: str,
    stdin: Annotated[bool, typer.Option("--stdin", help="Read the password from standard input.")] = False,
) -> None:
    """Set a user's console password (scrypt, own salt) and clear any sign-in lock. Audited."""
    from ingest_server.portal import signin
    from ingest_server.portal.passwords import WeakPasswordError
    from ingest_server.types import utcnow

    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with open_sessions(load_settings())() as session:
        try:
            signin.set_password(
                session=session, username=username, password=password, actor=cli_actor(), now=utcnow()
            )
        except (LookupError, WeakPasswordError) as exc:
            typer.echo(f"error: {exc.args[0]}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"console password set for {username}; any sign-in lock is cleared")


@app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="Folder to write the zip into.")],
    share: Annotated[str | None, typer.Option(help="Share id.")] = None,
    report: Annotated[str | None, typer.Option(help="Report id or number.")] = None,
) -> None:
    """Write the BagIt court package (zip) of a share or a report. Audited."""
    from ingest_server.export import bag
    from ingest_server.portal import links
    from ingest_server.portal.web import PortalError
    from ingest_server.shares import service as shares

    if (share is None) == (report is None):
        typer.echo("error: give exactly one of --share or --report", err=True)
        raise typer.Exit(2)
    ctx = open_context()
    out.mkdir(parents=True, exist_ok=True)
    with ctx.sessions() as session:
        try:
            if share is not None:
                found = shares.get(session=session, share_id=share)
                if found is None:
                    raise PortalError(404, "", f"no share {share}")
                clips, report_id = shares.clips_of(session=session, share=found), found.report_id
            else:
                found_report = links.report(session=session, report_id=report)
                clips, report_id, found = (
                    links.linked_clips(session=session, report_id=found_report.id)[0],
                    found_report.number,
                    None,
                )
            typer.echo(f"exporting {len(clips)} clip(s)...")
            package = bag.build(
                session=session,
                storage=ctx.storage,
                clips=clips,
                exporter=cli_actor(),
                now=ctx.clock(),
                out_dir=out,
                report_id=report_id,
                share=found,
                ctx=ctx,
            )
        except PortalError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(1) from exc
        except bag.ExportError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"{package.path}  (sha256 {package.sha256}; validated with bagit)")
