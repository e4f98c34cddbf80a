"""`evidence-server release ...`: check a release package and list open public records requests.
Registered in ingest_server/cli.py with one line.

    evidence-server release verify FOLDER --trust-anchor CA.pem   (exit 0: verifies; 1: the problems)
    evidence-server release requests                              (open requests, soonest due first)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ingest_server.cli_common import load_settings, open_sessions

app = typer.Typer(help="Public release: package checks, records requests.", no_args_is_help=True)


@app.command("verify")
def verify(
    folder: Annotated[Path, typer.Argument(help="The release package folder (unzipped).")],
    trust_anchor: Annotated[Path, typer.Option("--trust-anchor", help="The agency CA certificate (PEM).")],
) -> None:
    """Every file's sha256, the provenance naming the original, the Content Credentials Trusted."""
    from ingest_server.derived import records

    for path, what in ((folder / "release.json", "release.json"), (trust_anchor, "trust anchor")):
        if not path.is_file():
            typer.echo(f"{what} not found: {path}", err=True)
            raise typer.Exit(2)
    problems = records.verify_package(folder=folder, trust_anchors_pem=trust_anchor.read_bytes())
    if problems:
        for line in problems:
            typer.echo(f"FAIL {line}")
        raise typer.Exit(1)
    typer.echo(f"OK {folder}: every file matches; every video's Content Credentials are Trusted")


@app.command("requests")
def open_requests() -> None:
    """Open public records requests, soonest due first, with the time left."""
    from ingest_server.derived import records
    from ingest_server.types import utcnow

    with open_sessions(load_settings())() as session:
        for row, left in records.open_by_time_left(session=session, now=utcnow()):
            hours = left / 3600
            typer.echo(f"{row.id}  due {row.due_at.isoformat()}  {hours:+.1f} h  {row.requester}")
