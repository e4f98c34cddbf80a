"""Alembic migrations, run programmatically (`evidence-server migrate`, test fixtures).

The app refuses to start on a database that is not at the latest revision and
says which command fixes it; `evidence-server serve` migrates first unless told
not to (see docs/ingest_server.md).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from ingest_server.db import make_engine
from ingest_server.private_files import private_sqlite

MIGRATIONS = Path(__file__).parent / "migrations"


class NotMigratedError(RuntimeError):
    pass


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    private_sqlite(url)  # before SQLite creates it world-readable
    command.upgrade(alembic_config(url), revision)


def head_revisions() -> tuple[str, ...]:
    """The latest revision of each branch (domains may add independent branches)."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))


def current_revisions(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def check(engine: Engine) -> None:
    current, heads = current_revisions(engine), head_revisions()
    if current != heads:
        raise NotMigratedError(
            f"database {engine.url.render_as_string(hide_password=True)} is at schema revision "
            f"{', '.join(current) or 'none (empty database)'}, this server needs {', '.join(heads)}: "
            "run `evidence-server migrate` first"
        )


def upgrade_engine_url(url: str) -> Engine:
    upgrade(url)
    return make_engine(url)
