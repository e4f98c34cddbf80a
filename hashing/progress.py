"""A one-line progress bar for terminals, stdlib only (hashing imports no third party)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class ProgressBar:
    """Call with the bytes done so far; draws at most ten times a second on a TTY."""

    def __init__(
        self,
        total: int,
        label: str,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._clock = clock
        self._start = clock()
        self._last = 0.0

    def __call__(self, done: int) -> None:
        now = self._clock()
        if not self.enabled or (now - self._last < 0.1 and done < self.total):
            return
        self._last = now
        frac = done / self.total if self.total else 1.0
        rate = done / max(now - self._start, 1e-9) / 1e6
        bar = "#" * int(frac * 30)
        self.stream.write(f"\r{self.label} [{bar:<30}] {frac:6.1%} {rate:8.1f} MB/s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
