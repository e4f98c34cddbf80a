"""Found 2 and 9: the account lock and the attempt limits under concurrency, on
PostgreSQL and SQLite, with one server process and with two sharing a database.

Before: on PostgreSQL 16 parallel wrong passwords were all evaluated and the lock
never came (the count was read without a lock and written back as an absolute
value); the per-address limits lived in each process's memory, so two processes
gave twice the tries. What must hold: 32 parallel wrong passwords leave the
account locked after at most 5 evaluated failures; at most 20 failed sign-ins and
10 unknown share links per address, whatever the number of processes.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import psycopg
import pytest
from sqlalchemy import select

from demo.stack import ServerProcess
from ingest_server.audit.models import AuditEvent
from ingest_server.db import make_engine, make_sessionmaker
from ingest_server.portal.models import PortalCredential
from tests.ingest_server.conftest import PG_ADMIN, _pg_reachable

PASSWORD = "correct horse battery staple"
PORTS = iter(range(18710, 18800))  # this suite's own range


@dataclass
class SharedDbServer(ServerProcess):
    database_url: str = ""

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "EVIDENCE_SERVER_DATABASE_URL": self.database_url}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        return
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    name = f"evidence_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _prepare(database_url: str) -> str:
    """Migrate the shared database and make a custodian with a console password (in process:
    the CLI would cost a process start per step)."""
    from ingest_server import migrate
    from ingest_server.auth import service as auth_service
    from ingest_server.portal import signin

    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    user = f"custodian-{uuid.uuid4().hex[:6]}"
    with make_sessionmaker(engine)() as session:
        auth_service.create_user(
            session=session, username=user, role="custodian", officer_id=None, actor="test"
        )
        signin.set_password(
            session=session, username=user, password=PASSWORD, actor="test", now=datetime.now(UTC)
        )
    engine.dispose()
    return user


@pytest.fixture
def servers(tmp_path, s3_endpoint, database_url):
    """Two server processes on one database (as behind a load balancer)."""
    user = _prepare(database_url)
    bucket = f"lock-{uuid.uuid4().hex[:10]}"
    started = []
    try:
        for _ in range(2):
            server = SharedDbServer(
                tmp_path / "data",
                s3_endpoint,
                bucket=bucket,
                port=next(PORTS),
                database_url=database_url,
                custodian_name=user,
            )
            started.append(server.start(log=tmp_path / f"server-{server.port}.log"))
        yield started
    finally:
        for server in started:
            server.stop()


def _in_parallel(servers, n, request):
    def one(i):
        with httpx.Client(base_url=servers[i % len(servers)].url, timeout=120) as http:
            return request(http, i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def _events(database_url, event_type):
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(
                session.execute(select(AuditEvent).where(AuditEvent.event_type == event_type)).scalars()
            )
    finally:
        engine.dispose()


def test_32_parallel_wrong_passwords_lock_the_account_after_at_most_5(servers, database_url):
    user = servers[0].custodian_name
    answers = _in_parallel(
        servers,
        32,
        lambda http, i: (
            http.post(
                "/portal/sign-in", data={"username": user, "password": f"wrong password {i:02d}!"}
            ).status_code
        ),
    )
    assert all(code in (401, 429) for code in answers), answers
    evaluated = [
        e
        for e in _events(database_url, "portal.sign_in")
        if e.outcome == "failure" and json.loads(e.detail).get("username") == user
    ]
    assert 1 <= len(evaluated) <= 5, f"{len(evaluated)} wrong passwords were evaluated"
    assert len(_events(database_url, "portal.account_locked")) == 1
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        cred = session.execute(select(PortalCredential)).scalars().one()
        assert cred.locked_until is not None and cred.locked_until > datetime.now(UTC)
    engine.dispose()


def test_attempt_limits_per_address_hold_across_processes(servers, database_url):
    spraying = _in_parallel(
        servers,
        40,
        lambda http, i: (
            http.post(
                "/portal/sign-in", data={"username": f"nobody{i}", "password": "wrong password!!"}
            ).status_code
        ),
    )
    assert spraying.count(401) <= 20 and spraying.count(429) >= 20, spraying
    guesses = [
        httpx.get(f"{servers[i % len(servers)].url}/review/guess-{i}", timeout=60).status_code
        for i in range(20)
    ]
    assert guesses.count(404) == 10 and guesses[10:] == [429] * 10, guesses
