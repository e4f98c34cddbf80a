"""What every `evidence-server` command group shares: settings from the
environment, a migrated database's sessions, the full server context, and the
operating-system user as the audit actor. Each turns a bad set-up into a one-line
error and exit 2 instead of a traceback.

The server's modules are imported inside the functions that need them, so a
command loads only what it uses (and `--help` loads none of them): a command
that only touches the database never imports the web app, the store client or
the media libraries.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from ingest_server.context import ServerContext
    from ingest_server.settings import Settings


def load_settings() -> Settings:
    from ingest_server.settings import Settings

    try:
        return Settings()
    except ValueError as exc:
        typer.echo(f"error: bad settings: {exc}", err=True)
        raise typer.Exit(2) from exc


def open_sessions(settings: Settings) -> sessionmaker[Session]:
    from sqlalchemy.exc import OperationalError

    from ingest_server import migrate
    from ingest_server.db import make_engine, make_sessionmaker

    engine = make_engine(settings.db_url)
    try:
        migrate.check(engine)
    except migrate.NotMigratedError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except OperationalError as exc:  # e.g. a data folder that does not exist yet
        typer.echo(
            f"error: cannot open the database ({exc.orig}); run 'evidence-server migrate' first, "
            "or check EVIDENCE_SERVER_DATABASE_URL / EVIDENCE_SERVER_DATA_DIR",
            err=True,
        )
        raise typer.Exit(2) from exc
    return make_sessionmaker(engine)


def open_context() -> ServerContext:
    """The whole server context (database, store, signer) for commands that need the store."""
    from ingest_server import migrate
    from ingest_server.app import build_context
    from ingest_server.receipts import KeyPermissionError

    try:
        return build_context(load_settings())
    except (migrate.NotMigratedError, KeyPermissionError) as exc:  # a readable key: one line, no start
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"
