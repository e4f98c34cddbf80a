"""Upload bandwidth limit: a token bucket with an injectable clock.

`consume(n)` returns once `n` bytes may be sent. Sending more than the burst at
once is allowed and paid back (the bucket goes into debt), so the average rate
over a transfer holds whatever the chunk sizes. Shared by every upload thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(
        self,
        rate_bps: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ):
        if rate_bps <= 0:
            raise ValueError(f"bandwidth limit must be positive, got {rate_bps}")
        self.rate = float(rate_bps)
        self.burst = float(burst if burst is not None else rate_bps / 4)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def consume(self, n: int) -> None:
        """Take `n` tokens, waiting (through the injected sleep) until the debt is paid."""
        with self._lock:
            self._refill()
            self._tokens -= n
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)


class Unlimited:
    rate = None

    def consume(self, n: int) -> None:
        return None
