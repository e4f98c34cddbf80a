"""The values the retention engine reads and returns: plain frozen dataclasses.

The server builds `ClipFacts`, `ReportFacts` and `HoldFacts` from its database;
the engine turns them into a `Decision`. Every datetime must be timezone-aware
(a naive time is a bug that would silently shift retention by hours) and is
stored in UTC, so periods are exact durations (in a local zone, 90 days across a
daylight-saving change would be an hour short). A `Decision` checks its own
invariant when it is made: it can only say "deletable" when nothing holds the
clip and its retain-until has passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import overload


def require_aware(name: str, value: datetime | None) -> None:
    if value is None:
        return
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


@overload
def utc(name: str, value: datetime) -> datetime: ...
@overload
def utc(name: str, value: None) -> None: ...
@overload
def utc(name: str, value: datetime | None) -> datetime | None: ...
def utc(name: str, value: datetime | None) -> datetime | None:
    """`value` checked to be aware and converted to UTC (None stays None)."""
    require_aware(name, value)
    return None if value is None else value.astimezone(UTC)


def _set_utc(obj: object, *names: str) -> None:
    for name in names:
        object.__setattr__(obj, name, utc(name, getattr(obj, name)))


def _names(name: str, values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):  # "arrest" would otherwise become {"a", "r", "e", "s", "t"}
        raise TypeError(f"{name} must be a collection of strings, not the single string {values!r}")
    return frozenset(values)


class ReportStatus(StrEnum):
    OPEN = "open"
    UNDER_REVIEW = "under_review"
    CLOSED = "closed"


@dataclass(frozen=True)
class ClipFacts:
    """A stored clip. `categories` may hold several names; empty means nobody categorized it."""

    id: str
    recorded_at: datetime
    stored_at: datetime
    categories: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        _set_utc(self, "recorded_at", "stored_at")
        object.__setattr__(self, "categories", _names("categories", self.categories))

    @property
    def anchor(self) -> datetime:
        """Fixed periods count from here: the later of recording and storage."""
        return max(self.recorded_at, self.stored_at)


@dataclass(frozen=True)
class ReportFacts:
    """A use-of-force report linked to the clip."""

    id: str
    status: ReportStatus
    closed_at: datetime | None = None
    inspector_general: bool = False
    ig_released_by: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "status", ReportStatus(self.status))
        except ValueError:
            allowed = ", ".join(s.value for s in ReportStatus)
            raise ValueError(f"report {self.id}: status {self.status!r} is not one of {allowed}") from None
        _set_utc(self, "closed_at")
        object.__setattr__(self, "ig_released_by", _names("ig_released_by", self.ig_released_by))


@dataclass(frozen=True)
class HoldFacts:
    """A legal hold on the clip; it holds until `released_at` (None: still in force)."""

    id: str
    placed_by: str
    reason: str
    released_at: datetime | None = None

    def __post_init__(self) -> None:
        _set_utc(self, "released_at")

    def active(self, now: datetime) -> bool:
        return self.released_at is None or self.released_at > now


@dataclass(frozen=True)
class ClipCase:
    """A clip with everything the engine needs about it (used for policy diffs)."""

    clip: ClipFacts
    reports: tuple[ReportFacts, ...] = ()
    holds: tuple[HoldFacts, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "reports", tuple(self.reports))
        object.__setattr__(self, "holds", tuple(self.holds))


@dataclass(frozen=True)
class Decision:
    """What the policy says about one clip at `decided_at`.

    `retain_until` is None while something keeps the clip without end (a hold, an
    open report, an unreleased Inspector General matter, an indefinite category).
    `retain_at_least_until` is always a date: the clip is kept at least that long
    whatever happens to holds and reports; it is what the store's Object Lock
    retain-until should be extended to. `legal_hold` says whether the store's
    Object Lock legal hold should be on.
    """

    clip_id: str
    policy_version: str
    decided_at: datetime
    retain_until: datetime | None
    retain_at_least_until: datetime
    legal_hold: bool
    deletable: bool
    categories: tuple[str, ...]
    reasons: tuple[str, ...]

    def __post_init__(self) -> None:
        _set_utc(self, "decided_at", "retain_until", "retain_at_least_until")
        if self.deletable and (
            self.legal_hold or self.retain_until is None or self.retain_until > self.decided_at
        ):
            raise ValueError(f"clip {self.clip_id}: a held or unexpired clip cannot be marked deletable")


def is_shortening(old: Decision, new: Decision) -> bool:
    """True if `new` lets the clip be deleted sooner than `old` in any way."""
    if old.clip_id != new.clip_id:
        raise ValueError(f"decisions are about different clips: {old.clip_id} and {new.clip_id}")
    if new.retain_until is not None and (old.retain_until is None or new.retain_until < old.retain_until):
        return True
    if new.retain_at_least_until < old.retain_at_least_until:
        return True
    return old.legal_hold and not new.legal_hold
