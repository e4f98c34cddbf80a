"""Building blocks of the profile schema: strict models whose fields must say what they are."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field


def F(default: Any = ..., *, title: str, description: str, **kw: Any) -> Any:  # noqa: N802
    """A pydantic Field that must say what it is."""
    return Field(default, title=title, description=description, **kw)


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as 'America/New_York' or 'UTC')"
        ) from None
    return name


TIME_FORMAT_DOC = "'iso8601', 'epoch' (seconds), 'epoch_ms', or a strptime format such as '%Y%m%d_%H%M%S'"
