"""Backoff between attempts: never sooner than the server's Retry-After, capped."""

from __future__ import annotations

import random
import threading

from edge_agent.upload.retry import with_retries
from edge_agent.upload.server_client import ServerError, UploadBusy


class RecordingStop(threading.Event):
    """A stop event that records each wait instead of sleeping."""

    def __init__(self):
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout=None):
        self.waits.append(timeout)
        return False


def _flaky(errors: list[ServerError]):
    def op():
        if errors:
            raise errors.pop(0)
        return "receipt"

    return op


def test_a_busy_answer_is_retried_no_sooner_than_its_retry_after():
    stop = RecordingStop()
    busy = UploadBusy("complete: HTTP 409: verifying", status=409, retryable=True, retry_after=7)
    result = with_retries(_flaky([busy]), stop=stop, what="complete", rng=random.Random(1))
    assert result == "receipt" and stop.waits == [7]


def test_a_retry_after_beyond_the_cap_waits_the_cap():
    stop = RecordingStop()
    slow = ServerError("HTTP 503", status=503, retryable=True, retry_after=3600)
    with_retries(_flaky([slow]), stop=stop, what="register", cap=30.0, rng=random.Random(1))
    assert stop.waits == [30.0]
