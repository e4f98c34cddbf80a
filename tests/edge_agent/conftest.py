"""Fixtures for the agent tests: the stock profiles, and no thread left running after a test."""

from __future__ import annotations

import threading

import pytest

from firmware_profiles import load_profiles
from tests.support.polling import wait_for

# Their authors' own thread discipline: the UVC recorder and the simulator tests.
OWN_THREADS = ("tests.edge_agent.capture.test_recorder", "tests.edge_agent.test_simulator")


@pytest.fixture(scope="session")
def profiles():
    return load_profiles()


@pytest.fixture(autouse=True)
def no_leaked_threads(request):
    """The agent's threads (watcher, worker, recorders, watchdog observer) all end with the test.

    Applied to the agent's tests except OWN_THREADS."""
    if request.module.__name__ in OWN_THREADS:
        yield
        return
    before = set(threading.enumerate())
    yield
    extra = lambda: [t for t in threading.enumerate() if t not in before and t.is_alive()]  # noqa: E731
    leaked = [] if wait_for(lambda: not extra(), timeout=10) else extra()
    assert not leaked, f"threads left running: {leaked}"
