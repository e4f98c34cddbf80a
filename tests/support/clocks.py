"""A fake clock for code that takes its clock (and sleep) as arguments: time moves only when a test says."""

from __future__ import annotations


class FakeClock:
    """`clock()` returns `now`; `sleep(s)` advances it instead of waiting."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
