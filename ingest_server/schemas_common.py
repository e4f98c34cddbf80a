"""Constrained field types shared by request schemas.

Text never carries NUL (PostgreSQL refuses it) and is bounded; numbers are finite
and bounded, so no input can reach the database as something it cannot store.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


def text(max_length: int, min_length: int = 0):
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)]


Name = text(100, 1)
ShortText = text(128)
Id64 = text(64, 1)
When = AwareDatetime
Finite = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
CLIP_ID_PATTERN = r"^[0-9a-f]{32}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
