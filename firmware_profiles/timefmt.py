"""Camera time stamps: parse and write them in a profile's declared format and zone.

Formats: 'iso8601', 'epoch' (seconds), 'epoch_ms', or a strptime format. A time
written without an offset is in the profile's IANA zone (cameras usually write
local time); the result is always timezone-aware. `format_time` is the inverse,
used by the simulator.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def parse_time(text: str, fmt: str, timezone: str) -> datetime:
    """Parse a camera time; raises ValueError saying what did not fit."""
    text = text.strip()
    try:
        if fmt == "iso8601":
            value = datetime.fromisoformat(text)
        elif fmt in ("epoch", "epoch_ms"):
            seconds = float(text) / (1000 if fmt == "epoch_ms" else 1)
            return datetime.fromtimestamp(seconds, UTC)
        else:
            value = datetime.strptime(text, fmt)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"time {text!r} does not fit format {fmt!r}: {exc}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value


def resolution_of(text: str, fmt: str) -> float:
    """How finely `text` (in format `fmt`) states a time, in seconds: 1 for whole seconds."""
    text = text.strip()
    if fmt == "epoch_ms":
        return 0.001
    if fmt == "epoch":
        fraction = text.partition(".")[2]
        return 10.0 ** -len(fraction) if fraction.isdigit() else 1.0
    if fmt == "iso8601":
        match = re.search(r"T?\d{2}:\d{2}(:\d{2}(?:[.,](\d+))?)?", text.partition("T")[2] or text)
        if match is None or match.group(1) is None:
            return 60.0
        return 10.0 ** -len(match.group(2)) if match.group(2) else 1.0
    if "%f" in fmt:
        return 1e-6
    if "%S" in fmt or "%T" in fmt or "%s" in fmt:
        return 1.0
    return 60.0 if "%M" in fmt else 3600.0


def format_time(value: datetime, fmt: str, timezone: str) -> str:
    """Write an aware time as the camera would, in its zone and format."""
    if fmt == "epoch":
        return str(int(value.timestamp()))
    if fmt == "epoch_ms":
        return str(int(round(value.timestamp() * 1000)))
    local = value.astimezone(ZoneInfo(timezone))
    if fmt == "iso8601":
        return local.isoformat()
    return local.strftime(fmt)
