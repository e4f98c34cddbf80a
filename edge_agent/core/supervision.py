"""Worker threads that never die silently: each round supervised, its health in the live status.

`run_supervised` runs one worker's round again and again until the stop event.
A journal that cannot be written (SQLite "database or disk is full", a read-only
or failing disk) pauses that worker with the reason in the status and retries
at the next round, writing nothing meanwhile (the journal is what failed); a
round that raises `Paused` is shown paused with its reason (e.g. the server
refused the device token) and tried again; any other failure is logged, shown
as the worker's last error, and the round is tried again. Nothing a round
raises ends the thread: only the stop event does, and a thread that ends any
other way (a BaseException) is shown as `died` with why.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

from edge_agent.core.live_status import RuntimeStatus

log = logging.getLogger(__name__)


class Paused(Exception):
    """A round cannot do its work until a person (or time) fixes something: shown, not logged."""


def journal_unwritable(exc: BaseException) -> bool:
    """True for SQLite's "cannot write" errors (full disk, read-only, I/O), which waiting may cure."""
    return isinstance(exc, sqlite3.OperationalError)


def run_supervised(
    name: str,
    round_: Callable[[], object],
    *,
    status: RuntimeStatus,
    stop: threading.Event,
    wait_seconds: Callable[[], float],
    record_event: Callable[[str, str], None] | None = None,
) -> None:
    """Run `round_` until `stop`, waiting `wait_seconds()` between rounds; its health in `status`."""
    status.thread(name, "running")
    try:
        while not stop.is_set():
            try:
                round_()
            except Paused as exc:
                status.thread(name, "paused", str(exc))
            except Exception as exc:
                if journal_unwritable(exc):
                    reason = f"journal cannot be written ({exc}); {name} paused, nothing lost, retrying"
                    if status.thread_state(name) != "paused":
                        log.error("%s: %s", name, reason)
                    status.thread(name, "paused", reason)
                else:
                    log.exception("%s round failed", name)
                    status.thread(name, "error", f"last round failed: {type(exc).__name__}: {exc}; retrying")
                    if record_event is not None:
                        try:
                            record_event("error", f"{name} round failed: {exc}")
                        except Exception:  # the journal itself may be what failed
                            log.exception("cannot journal the %s failure", name)
            else:
                status.thread(name, "running")
            stop.wait(wait_seconds())
    except BaseException as exc:
        status.thread(name, "died", f"{type(exc).__name__}: {exc}")
        raise
    finally:
        if status.thread_state(name) != "died":
            status.thread(name, "stopped")
