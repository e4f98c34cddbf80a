"""Fixtures for the attack tests: the console/review fixtures (an app with an injected
clock, people with console passwords, stored clips), reused as they are, and
`both_databases_ctx` for the modules that must hold on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from ingest_server.app import build_context
from ingest_server.audit.models import AuditEvent
from ingest_server.settings import Settings
from tests.ingest_server.conftest import _reset_pg, pg_url  # noqa: F401
from tests.portal.conftest import app, client, clock, ctx, people, stored  # noqa: F401

BOTH = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def both_databases_ctx(request, tmp_path, s3_endpoint, clock):  # noqa: F811
    """A server context on SQLite or (request.param) the session's PostgreSQL database."""
    if request.param == "sqlite":
        url = request.getfixturevalue("migrated_sqlite")(f"sqlite:///{tmp_path / 'evidence.sqlite3'}")
    else:
        url = request.getfixturevalue("pg_url")
        _reset_pg(url)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=url,
        s3_endpoint_url=s3_endpoint,
        s3_bucket=f"sec-{uuid.uuid4().hex[:12]}",
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    return build_context(settings, clock=clock)


def api_rows(ctx) -> int:  # noqa: F811
    """How many requests the audit middleware has recorded."""
    with ctx.sessions() as session:
        return session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.component == "api")
        ).scalar_one()
