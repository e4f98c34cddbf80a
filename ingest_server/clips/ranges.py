"""HTTP Range parsing for downloads of originals (one range; RFC 9110 byte ranges)."""

from __future__ import annotations


class RangeNotSatisfiable(ValueError):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte range asked for, or None for the whole object."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        raise RangeNotSatisfiable("only a single 'bytes=' range is supported")
    first_s, dash, last_s = spec.strip().partition("-")
    if (
        not dash
        or not (first_s.isdigit() or last_s.isdigit())
        or (first_s and not first_s.isdigit())
        or (last_s and not last_s.isdigit())
    ):
        raise RangeNotSatisfiable(f"malformed range {header!r}")
    if size == 0:
        raise RangeNotSatisfiable("the object is empty")
    if not first_s:  # suffix: the last N bytes
        length = int(last_s)
        if length == 0:
            raise RangeNotSatisfiable("an empty suffix range selects nothing")
        return max(0, size - length), size - 1
    first = int(first_s)
    last = min(int(last_s), size - 1) if last_s else size - 1
    if first >= size or last < first:
        raise RangeNotSatisfiable(f"range {header!r} is outside 0..{size - 1}")
    return first, last
