"""The bandwidth limit holds the average rate within 10% over a transfer (fake clock)."""

from __future__ import annotations

import random

import httpx
import pytest

from edge_agent.upload.bandwidth import TokenBucket
from edge_agent.upload.server_client import ServerClient
from tests.support.clocks import FakeClock


@pytest.mark.parametrize("rate", [250_000, 2_000_000, 12_500_000])
def test_average_rate_within_ten_percent(rate):
    clock = FakeClock(1000.0)
    bucket = TokenBucket(rate, clock=clock, sleep=clock.sleep)
    rng = random.Random(rate)
    sent, start = 0, clock.now
    while sent < 40 * rate:  # a transfer of 40 s at the limit
        n = rng.randint(1, 512 * 1024)
        bucket.consume(n)
        sent += n
        clock.now += n / 1e9  # the network itself is fast: the limit is what holds it back
    average = sent / (clock.now - start)
    assert 0.9 * rate <= average <= 1.1 * rate


def test_part_upload_is_paced_by_the_bucket():
    clock = FakeClock(1000.0)
    rate = 1_000_000
    bucket = TokenBucket(rate, clock=clock, sleep=clock.sleep)
    received = []

    def store(request: httpx.Request) -> httpx.Response:
        assert request.headers["content-length"] == str(8 * 1024 * 1024)
        assert "transfer-encoding" not in request.headers
        assert request.headers["x-amz-checksum-sha256"] == "c2hh"
        received.append(b"".join(request.stream))
        return httpx.Response(200, headers={"ETag": '"abc"'})

    client = ServerClient("http://127.0.0.1:9", "t", http=httpx.Client(transport=httpx.MockTransport(store)))
    body = bytes(range(256)) * (32 * 1024)
    start = clock.now
    assert client.put_part("http://127.0.0.1:9/b/k?partNumber=1", body, "c2hh", bucket.consume) == '"abc"'
    assert received == [body]
    elapsed = clock.now - start
    assert 0.9 * rate <= len(body) / elapsed <= 1.1 * rate


def test_a_limit_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0)
