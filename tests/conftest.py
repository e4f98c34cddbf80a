"""Shared fixtures: a loopback S3 server per test session and a bucket per test."""

from __future__ import annotations

import pytest

from tests.support.s3server import fresh_bucket, moto_server, s3_client


@pytest.fixture(scope="session")
def s3_endpoint():
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3(s3_endpoint):
    return s3_client(s3_endpoint)


@pytest.fixture
def bucket(s3):
    return fresh_bucket(s3)
