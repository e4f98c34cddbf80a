"""Retries with exponential backoff and full jitter, waiting on a stop event; never
sooner than a Retry-After the server sent (capped like the backoff)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import TypeVar

from edge_agent.upload.server_client import ServerError

T = TypeVar("T")


class Stopped(Exception):
    """The agent is stopping; the operation was abandoned and will resume from the journal."""


def with_retries(
    op: Callable[[], T],
    *,
    stop: threading.Event,
    what: str,
    attempts: int = 8,
    base: float = 0.5,
    cap: float = 30.0,
    rng: random.Random | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> T:
    rng = rng or random.Random()
    for attempt in range(1, attempts + 1):
        if stop.is_set():
            raise Stopped(what)
        try:
            return op()
        except ServerError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            delay = rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))
            if exc.retry_after is not None:
                delay = min(cap, max(delay, exc.retry_after))
            if on_retry:
                on_retry(f"{what}: {exc} (attempt {attempt}, retrying in {delay:.1f} s)")
            if stop.wait(delay):
                raise Stopped(what) from exc
    raise AssertionError("unreachable")
