"""`evidence-server store check`, and the same check as the gate `serve` passes first."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from ingest_server.cli_common import load_settings

if TYPE_CHECKING:
    from ingest_server.settings import Settings
    from ingest_server.storage import Storage

app = typer.Typer(help="The object store.", no_args_is_help=True)

ACCEPT_SETTING = "EVIDENCE_SERVER_ACCEPT_NONCONFORMING_STORE"


def _storage(settings: Settings) -> Storage:
    from ingest_server.storage import Storage, StorageError, make_client  # boto3: only when used

    storage = Storage(make_client(settings), settings.s3_bucket)
    try:
        storage.ensure_bucket(create=settings.s3_create_bucket)
    except StorageError:
        pass  # a bucket without versioning or Object Lock: the matrix says so, line by line
    return storage


def run_check(settings: Settings) -> tuple[list[str], bool]:
    """(lines to print, every guaranteed property holds)."""
    from ingest_server.store.conformance import check_store, failed_guarantees, render

    storage = _storage(settings)
    results = check_store(client=storage.client, bucket=storage.bucket)
    lines = [f"store {settings.s3_endpoint_url or 'AWS S3'} bucket {settings.s3_bucket}", *render(results)]
    failed = failed_guarantees(results)
    lines.append(
        f"{len(results) - len(failed)} of {len(results)} properties hold"
        + (f"; {len(failed)} the evidence guarantees rest on FAIL" if failed else "")
    )
    return lines, not failed


@app.command("check")
def check() -> None:
    """Probe the configured S3 endpoint, one line per property; exit 1 if a guaranteed one fails."""
    settings = load_settings()
    try:
        lines, ok = run_check(settings)
    except Exception as exc:  # unreachable endpoint, bad credentials, no such bucket ...
        typer.echo(f"error: cannot probe the store: {exc}", err=True)
        raise typer.Exit(2) from exc
    for line in lines:
        typer.echo(line)
    raise typer.Exit(0 if ok else 1)


def startup_gate(settings: Settings) -> None:
    """Run the check before serving. A failing store stops the start, unless the operator set
    EVIDENCE_SERVER_ACCEPT_NONCONFORMING_STORE=true, which every start then names in the log."""
    lines, ok = run_check(settings)
    if ok:
        typer.echo(f"store check: {lines[-1]} ({lines[0]})", err=True)
        return
    for line in lines:
        typer.echo(f"store check: {line}", err=True)
    if settings.accept_nonconforming_store:
        typer.echo(
            f"WARNING: starting on a store that fails the properties above because {ACCEPT_SETTING}=true",
            err=True,
        )
        return
    typer.echo(
        f"error: the store fails properties the evidence guarantees rest on; not starting "
        f"(set {ACCEPT_SETTING}=true to start anyway, named in the log at every start)",
        err=True,
    )
    raise typer.Exit(3)
