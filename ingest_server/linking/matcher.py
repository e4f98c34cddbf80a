"""Pure matching of clips to use-of-force reports: no database, no clock.

A clip belongs to a report when its officer or its vehicle is on the report and
its recording overlaps the incident window widened by the buffers (default 5
minutes before and 5 after, like Axon's auto-tagging pre-buffer). Touching
counts: a recording that ends exactly when the widened window starts is linked.
`match` returns the reason in words, or None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

DEFAULT_BEFORE = timedelta(minutes=5)
DEFAULT_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Buffers:
    before: timedelta = DEFAULT_BEFORE
    after: timedelta = DEFAULT_AFTER


@dataclass(frozen=True)
class ClipWindow:
    id: str
    officer_id: str | None
    vehicle_id: str | None
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ReportWindow:
    id: str
    number: str
    start: datetime
    end: datetime
    officers: frozenset[str] = field(default_factory=frozenset)
    vehicles: frozenset[str] = field(default_factory=frozenset)

    def widened(self, buffers: Buffers) -> tuple[datetime, datetime]:
        return self.start - buffers.before, self.end + buffers.after


def clip_window(
    id: str,
    officer_id: str | None,
    vehicle_id: str | None,
    start: datetime | None,
    end: datetime | None,
    duration_seconds: float | None,
) -> ClipWindow | None:
    """A clip's recording interval; None when the clip has no start time at all."""
    if start is None:
        return None
    if end is None or end < start:
        end = start + timedelta(seconds=duration_seconds or 0)
    return ClipWindow(id, officer_id, vehicle_id, start, end)


def _hm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _minutes(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    return f"{minutes:g} min"


def match(report: ReportWindow, clip: ClipWindow, buffers: Buffers) -> str | None:
    """Why `clip` documents `report`, in words; None if it does not."""
    by = []
    if clip.officer_id and clip.officer_id in report.officers:
        by.append(f"officer {clip.officer_id}")
    if clip.vehicle_id and clip.vehicle_id in report.vehicles:
        by.append(f"vehicle {clip.vehicle_id}")
    if not by:
        return None
    low, high = report.widened(buffers)
    if clip.start > high or clip.end < low:
        return None
    who = " and ".join(by)
    verb = "are" if len(by) > 1 else "is"
    return (
        f"{who} {verb} on report {report.number} and the recording {_hm(clip.start)} to {_hm(clip.end)} "
        f"overlaps the incident window {_hm(report.start)} to {_hm(report.end)} widened by "
        f"{_minutes(buffers.before)} before and {_minutes(buffers.after)} after"
    )
