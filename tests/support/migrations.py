"""Alembic's own comparison of a freshly migrated database with the models, for the
tables a test names."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from ingest_server import migrate
from ingest_server.db import Base
from ingest_server.models import import_all


def model_differences(folder: Path, tables: set[str]) -> list:
    """What the migrated schema lacks or has beyond the models, for `tables` only."""
    import_all()
    url = f"sqlite:///{folder / 'm.sqlite3'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    return [d for d in diff if any(t in repr(d) for t in tables)]
