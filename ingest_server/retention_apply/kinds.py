"""The shapes shared by the guard and its appliers: what an applier returns, the
applier's signature, and the error a refused change raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ingest_server.context import ServerContext
from ingest_server.refusals import Refused


class ChangeError(Refused):
    pass


@dataclass
class Applied:
    affected: list[str]
    result: Any = None


class Applier(Protocol):
    """One kind of change: apply it (flush, never commit) and say which clips it touches."""

    def __call__(
        self, *, ctx: ServerContext, session: Session, params: dict, actor: str, now: datetime
    ) -> Applied: ...
