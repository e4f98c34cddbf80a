"""`evidence-server uploads abort-abandoned`: find and abort the store's abandoned multipart uploads.

An upload is abandoned when no clip is uploading to it and it is older than the
grace (uploads/abandoned.py). The job worker does the same every
`abandoned_uploads_every_seconds`; this command is for a person who wants it now,
or wants to see first (`--dry-run`). Each abort is audited with the operating-system
user as the actor.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import typer

from ingest_server.cli_common import cli_actor, open_context

uploads_app = typer.Typer(help="Multipart uploads in the store.", no_args_is_help=True)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """'24h', '90m', '30s', '2d' or plain seconds."""
    found = _DURATION.match(text.lower())
    if not found:
        raise typer.BadParameter(f"{text!r} is not a duration like 24h, 90m, 30s or 2d")
    return timedelta(seconds=float(found.group(1)) * _UNIT[found.group(2)])


@uploads_app.command("abort-abandoned")
def abort_abandoned_cmd(
    grace: Annotated[str, typer.Option(help="Only uploads older than this (24h, 90m, 2d, seconds).")] = "24h",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be aborted; abort nothing.")
    ] = False,
) -> None:
    """Abort multipart uploads no clip is uploading to, older than the grace; print each one."""
    from ingest_server.uploads.abandoned import abort_abandoned

    age = parse_duration(grace)
    ctx = open_context()
    now = ctx.clock()
    found = abort_abandoned(ctx=ctx, grace=age, actor=cli_actor(), dry_run=dry_run)
    typer.echo(f"abandoned multipart uploads older than {grace}: {len(found)}")
    for u in found:
        hours = (now - u.initiated).total_seconds() / 3600
        typer.echo(f"  {u.key}  upload {u.upload_id}  started {u.initiated.isoformat()} ({hours:.1f} h ago)")
    if dry_run:
        typer.echo(f"dry run: nothing aborted ({len(found)} would be)")
    else:
        typer.echo(f"aborted {len(found)} (each audited as upload.aborted_abandoned)")
