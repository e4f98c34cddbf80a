"""Shared fixtures: the loopback SeaweedFS store per test session, a bucket per test, and
SQLite databases migrated once per session (tests/support/sqlite_template.py)."""

from __future__ import annotations

import pytest

from tests.support.s3server import fresh_bucket, s3_client, test_store
from tests.support.sqlite_template import MigratedSqlite


@pytest.fixture(scope="session")
def store_process(tmp_path_factory):
    """The session's `weed mini` (an EmbeddedStore): tests that restart it or reach its other
    ports use this; everything else uses `s3_endpoint`."""
    with test_store(tmp_path_factory.mktemp("seaweedfs")) as store:
        yield store


@pytest.fixture(scope="session")
def s3_endpoint(store_process):
    return store_process.endpoint


@pytest.fixture
def s3(s3_endpoint):
    return s3_client(s3_endpoint)


@pytest.fixture
def bucket(s3):
    return fresh_bucket(s3)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> MigratedSqlite:
    """`migrated_sqlite(url)`: a new SQLite file at `url` at the head revision (a copy of one
    database migrated with `migrate.upgrade` at session start)."""
    return MigratedSqlite(tmp_path_factory.mktemp("sqlite-template"))
