"""Fixtures for the ingest server: a migrated database per test (SQLite always,
PostgreSQL on 127.0.0.1 when reachable), a bucket of its own on the loopback
SeaweedFS store, the app, one token per role, and for the reports / linking /
retention / sweeper / fixity / reporting tests an injectable clock
(tests/support/clock.py) and a second custodian.

Tests marked `time_travel` run on moto's server instead: they move the server's
clock years at a time (a clip kept 4 years from 2010 is deleted when the test says
so). A real store compares Object Lock dates with the real clock and refuses a
retain-until in the past (SeaweedFS: 400 InvalidRequest), so it cannot follow a
clock in 2010; moto takes the dates. What a real store must do with the same flow
(refuse to delete before the lock lapses, delete after, certificate written) is
proven on SeaweedFS in tests/ingest_server/store/test_store_proofs.py with a
retention of seconds.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from ingest_server import migrate
from ingest_server.app import build_context, create_app
from ingest_server.auth import service as auth_service
from ingest_server.settings import Settings
from tests.ingest_server import helpers
from tests.support.clock import START, Clock
from tests.support.moto import moto_server
from tests.support.s3server import s3_client


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's S3 server, only for the tests marked time_travel (see above)."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def store_endpoint(request, s3_endpoint):
    """The store this test's server uses: the session's SeaweedFS, or moto for a test
    marked time_travel."""
    if request.node.get_closest_marker("time_travel"):
        return request.getfixturevalue("moto_endpoint")
    return s3_endpoint


@pytest.fixture
def s3(store_endpoint):
    return s3_client(store_endpoint)


@pytest.fixture(autouse=True)
def _moto_cannot_report_locks(request, monkeypatch):
    """moto answers 500 to a retention read, so on it fixity skips the lock comparison (in
    the app and in the CLI); that comparison is tested on SeaweedFS in store/test_store_proofs.py."""
    if not request.node.get_closest_marker("time_travel"):
        return
    monkeypatch.setenv("EVIDENCE_SERVER_FIXITY_COMPARE_LOCKS", "false")
    if "ctx" in request.fixturenames:
        ctx = request.getfixturevalue("ctx")
        ctx.settings = ctx.settings.model_copy(update={"fixity_compare_locks": False})


PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"


def _pg_reachable() -> str | None:
    try:
        psycopg.connect(PG_ADMIN, autocommit=True).close()
    except psycopg.Error as exc:
        return f"PostgreSQL on 127.0.0.1:5432 is not reachable ({exc.__class__.__name__}: {exc})"
    return None


@pytest.fixture(scope="session")
def pg_url():
    """A database of our own for this test session, migrated once, dropped after."""
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    name = f"evidence_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    migrate.upgrade(url)
    yield url
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_pg(url: str) -> None:
    from ingest_server.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        tables = (
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND "
                    "tablename NOT IN ('alembic_version', 'audit_chain_head')"
                )
            )
            .scalars()
            .all()
        )
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events"))
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        conn.execute(
            text(
                "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
            )
        )
        conn.execute(text("UPDATE audit_chain_head SET seq = 0, hash = :h"), {"h": "0" * 64})
        # a tamper test may have dropped the append-only trigger (as an attacker would): restore it
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events"))
        conn.execute(
            text(
                "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
                "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
            )
        )
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, migrated_sqlite):
    if request.param == "sqlite":
        return migrated_sqlite(f"sqlite:///{tmp_path / 'evidence.sqlite3'}")
    url = request.getfixturevalue("pg_url")
    _reset_pg(url)
    return url


@pytest.fixture
def settings(db_url, tmp_path, store_endpoint):
    assert store_endpoint.startswith("http://127.0.0.1:"), "tests only ever talk to a loopback store"
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        s3_endpoint_url=store_endpoint,
        s3_bucket=f"evidence-{uuid.uuid4().hex[:12]}",
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
        max_page_size=50,
        default_page_size=20,
    )


@pytest.fixture
def ctx(settings):
    context = build_context(settings)
    yield context
    context.engine.dispose()


@pytest.fixture
def app(ctx):
    return create_app(context=ctx)


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def people(ctx):
    """One token per role (and two devices), created as an admin would."""
    tokens = {}
    with ctx.sessions() as session:
        for role in ("admin", "custodian", "auditor", "trooper", "prosecutor"):
            officer = "B1234" if role == "trooper" else None
            _, tokens[role] = auth_service.create_user(
                session=session, username=f"{role}1", role=role, officer_id=officer, actor="test"
            )
        _, tokens["device"] = auth_service.enroll_device(
            session=session, name="car-17", vehicle_id="V17", actor="test"
        )
        _, tokens["device2"] = auth_service.enroll_device(
            session=session, name="car-18", vehicle_id="V18", actor="test"
        )
    return helpers.Tokens(tokens)


@pytest.fixture
def clock(ctx):
    clock = Clock(START)
    ctx.clock = clock
    return clock


@pytest.fixture
def custodian2(ctx):
    with ctx.sessions() as session:
        _, token = auth_service.create_user(
            session=session, username="custodian2", role="custodian", officer_id=None, actor="test"
        )
    return {"Authorization": f"Bearer {token}"}
