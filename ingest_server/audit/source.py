"""Where an audited change came from.

The events the services record (links, reports, holds, retention applied,
fixity, sweeps) carry the address of the request that caused them, set for the
length of the change with `audit_source_of(address)`; outside a request (jobs,
CLI) they say `SERVER_SOURCE`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

SERVER_SOURCE = "evidence-server"
_SOURCE: ContextVar[str | None] = ContextVar("audit_source", default=None)


def audit_source() -> str:
    return _SOURCE.get() or SERVER_SOURCE


@contextmanager
def audit_source_of(address: str | None) -> Iterator[None]:
    token = _SOURCE.set(address)
    try:
        yield
    finally:
        _SOURCE.reset(token)
