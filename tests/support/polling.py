"""Waiting for something another thread or process does: a bound on waiting, never a timing assertion."""

from __future__ import annotations

import time


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.05):
    """Poll until `predicate()` is truthy; returns its last value (falsy if the time ran out)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def wait_until(predicate, timeout: float, what: str, interval: float = 0.2):
    """Poll until `predicate()` is truthy and return it; fail the test naming `what` if it never is."""
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)
    return result
