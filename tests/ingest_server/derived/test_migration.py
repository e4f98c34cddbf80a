"""The 0300 migration creates exactly the tables the models describe (Alembic's own comparison)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from ingest_server import migrate
from ingest_server.db import Base
from ingest_server.derived import models  # noqa: F401

OURS = {"redactions", "derived_objects", "records_requests", "records_request_clips"}


def test_migration_matches_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    ours = [d for d in diff if any(t in repr(d) for t in OURS)]
    assert ours == []
