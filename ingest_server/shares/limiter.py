"""Slows down token guessing: too many unknown share tokens from one address and
that address is refused (429) for a while.

In memory, per server process. Used for the public statistics pages' request
rate (load shedding, no secret behind it). Sign-in attempts and share-link
guessing are limited in the database instead, shared by every server process
(ingest_server/ratelimit). The clock is injected.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from ingest_server.types import utcnow


class GuessLimiter:
    def __init__(
        self,
        *,
        max_failures: int = 10,
        window: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.max_failures, self.window, self.clock = max_failures, window, clock
        self.max_sources = 10_000
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, source: str, now: datetime) -> deque[datetime]:
        times = self._failures.setdefault(source, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def retry_after(self, source: str) -> int | None:
        """Seconds until `source` may try again, or None when it is not blocked."""
        now = self.clock()
        with self._lock:
            times = self._recent(source, now)
            if len(times) < self.max_failures:
                if not times:
                    self._failures.pop(source, None)
                return None
            return max(1, int((times[0] + self.window - now).total_seconds()) + 1)

    def failed(self, source: str) -> None:
        now = self.clock()
        with self._lock:
            self._recent(source, now).append(now)
            if len(self._failures) > self.max_sources:  # many addresses: forget the ones that went quiet
                for key in [k for k, times in self._failures.items() if not self._recent(k, now)]:
                    del self._failures[key]
