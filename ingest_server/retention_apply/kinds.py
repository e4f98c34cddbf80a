"""The shapes shared by the guard and its appliers: what an applier returns, the
applier's signature, and the error a refused change raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ingest_server.refusals import Refused


class ChangeError(Refused):
    pass


@dataclass
class Applied:
    affected: list[str]
    result: Any = None


Applier = Callable[[Any, Session, dict, str, datetime], Applied]
