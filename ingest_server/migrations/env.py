"""Alembic environment: runs against the URL set by ingest_server.migrate."""

from __future__ import annotations

from alembic import context

from ingest_server.db import Base, make_engine
from ingest_server.models import import_all

import_all()
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
