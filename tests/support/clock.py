"""The one fake clock of the server tests: the test moves it by hand (ctx.clock = clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

PORTAL_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# In the past on purpose: a clip "kept 4 years" from 2010 can really be deleted when
# the test says so. Tests on this clock are marked time_travel and run on moto, which
# takes past Object Lock dates (a real store refuses them; tests/ingest_server/conftest.py).
START = datetime(2010, 1, 10, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = PORTAL_NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment
