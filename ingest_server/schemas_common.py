"""Constrained field types shared by request schemas.

Text never carries NUL (PostgreSQL refuses it) and is bounded; numbers are finite
and bounded; times are between the years 1900 and 2999. So no input can reach the
database as something it cannot store, nor overflow date arithmetic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

from ingest_server.input_guard import forbidden_in

# Any time the server does arithmetic on (buffers, clock offsets, day ends) stays far from
# datetime's limits (years 1 and 9999), where it would overflow.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _no_nul(value: str) -> str:
    """No NUL, no terminal control characters, no bidi overrides (tab and line breaks are fine):
    an officer id or a reason must read on screen, in a CSV or a terminal as it is stored."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    char = forbidden_in(value)
    if char:
        raise ValueError(f"text must not contain the control character {char}")
    return value


def _plausible(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"a time must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


def text(max_length: int, min_length: int = 0):
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)]


Name = text(100, 1)
ShortText = text(128)
Id64 = text(64, 1)
When = Annotated[AwareDatetime, AfterValidator(_plausible)]
Finite = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
CLIP_ID_PATTERN = r"^[0-9a-f]{32}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
