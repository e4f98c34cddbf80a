"""The shapes shared by the guard and its appliers: what an applier returns, the
applier's signature, and the error a refused change raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


class ChangeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Applied:
    affected: list[str]
    result: Any = None


Applier = Callable[[Any, Session, dict, str, datetime], Applied]
