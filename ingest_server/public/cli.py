"""`evidence-server reports publish --out DIR`: the whole public portal as static files.

Registered on the `reports` command group by ingest_server/cli.py. Audited
with the operating-system user as the actor, like the OPM export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ingest_server.cli_common import cli_actor, open_context


def publish(
    out: Annotated[Path, typer.Option(help="Folder to write the portal into (created if missing).")],
) -> None:
    """Write the public use-of-force portal (HTML, SVG charts, CSV/JSON, data dictionary) to a folder."""
    from ingest_server.audit import service as audit
    from ingest_server.public import service, site

    if out.exists() and not out.is_dir():
        typer.echo(f"error: --out {out} exists and is not a folder", err=True)
        raise typer.Exit(2)
    ctx = open_context()
    with ctx.sessions() as session:
        built = service.build(session=session, now=ctx.clock())
        session.rollback()
        audit.append(
            session=session,
            source="cli",
            component="reporting",
            event_type="reporting.public_published",
            actor=cli_actor(),
            outcome="success",
            detail={"out": str(out), "files": len(built.files), "data_as_of": built.meta["data_as_of"]},
        )
        session.commit()
    try:
        written = site.write(built, out)
    except OSError as exc:
        typer.echo(f"error: cannot write to {out}: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{len(written)} files written to {out}; open {out / 'index.html'}")
