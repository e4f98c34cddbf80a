"""Fixtures for reports, linking, retention, sweeper, fixity and reporting tests.

Reuses the ingest server's fixtures (a migrated SQLite or PostgreSQL database per
test, a bucket of its own, the app, one token per role) and adds an injectable
clock and a second custodian.

Why these run on moto's server, not SeaweedFS: they move the server's clock years
at a time (a clip kept 4 years from 2010 is deleted when the test says so). A real
store compares Object Lock dates with the real clock and refuses a retain-until in
the past (SeaweedFS: 400 InvalidRequest), so it cannot follow a clock in 2010;
moto accepts the dates. What a real store must do with the same flow (refuse to
delete before the lock lapses, delete after, certificate written) is proven on
SeaweedFS in tests/ingest_server/test_store_proofs.py with retention of seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest_server.auth import service as auth_service
from tests.ingest_server.conftest import app, client, ctx, db_url, people, pg_url, settings  # noqa: F401
from tests.support.moto import moto_server


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto for this package (see the docstring: the clock here travels in time)."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(autouse=True)
def _moto_cannot_report_locks(request, monkeypatch):
    """moto answers 500 to a retention read, so fixity here skips the lock comparison (in the
    app and in the CLI); it is tested on SeaweedFS in tests/ingest_server/test_store_proofs.py."""
    monkeypatch.setenv("EVIDENCE_SERVER_FIXITY_COMPARE_LOCKS", "false")
    if "ctx" in request.fixturenames:
        ctx = request.getfixturevalue("ctx")
        ctx.settings = ctx.settings.model_copy(update={"fixity_compare_locks": False})


class Clock:
    """A clock the test moves by hand: ctx.clock = clock."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment


# In the past on purpose: moto compares Object Lock dates with the real clock (and takes
# past ones), so
# a clip "kept 4 years" from 2018 can really be deleted when the test says so.
START = datetime(2010, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(ctx):  # noqa: F811 (the imported fixture)
    clock = Clock(START)
    ctx.clock = clock
    return clock


@pytest.fixture
def custodian2(ctx):  # noqa: F811 (the imported fixture)
    with ctx.sessions() as session:
        _, token = auth_service.create_user(
            session, username="custodian2", role="custodian", officer_id=None, actor="test"
        )
    return {"Authorization": f"Bearer {token}"}
