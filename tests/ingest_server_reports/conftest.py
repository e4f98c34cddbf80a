"""Fixtures for reports, linking, retention, sweeper, fixity and reporting tests.

Reuses the ingest server's fixtures (a migrated SQLite or PostgreSQL database per
test, a bucket of its own on the loopback moto server, the app, one token per
role) and adds an injectable clock and a second custodian.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest_server.auth import service as auth_service
from tests.ingest_server.conftest import app, client, ctx, db_url, people, pg_url, settings  # noqa: F401


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


# In the past on purpose: moto compares Object Lock dates with the real clock, so
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
