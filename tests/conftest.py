"""Shared fixtures: the loopback SeaweedFS store per test session and a bucket per test."""

from __future__ import annotations

import pytest

from tests.support.s3server import fresh_bucket, s3_client, test_store


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
