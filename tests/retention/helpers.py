"""Builders for retention tests: a fixed timeline and short constructors for facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from retention import ClipFacts, HoldFacts, Person, ReportFacts, decide, load_policy
from retention.policy import add_years

POLICY = load_policy()
RECORDED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STORED = RECORDED + timedelta(hours=8)  # docked at shift end; fixed periods count from here
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def years(n: int, start: datetime = STORED) -> datetime:
    return add_years(start, n)


def clip(
    *categories: str, recorded: datetime = RECORDED, stored: datetime = STORED, id: str = "C-1"
) -> ClipFacts:
    return ClipFacts(id=id, recorded_at=recorded, stored_at=stored, categories=frozenset(categories))


def report(
    id: str = "UOF-2026-0042",
    status: str = "open",
    closed_at: datetime | None = None,
    ig: bool = False,
    released_by: tuple[str, ...] = (),
) -> ReportFacts:
    return ReportFacts(
        id=id, status=status, closed_at=closed_at, inspector_general=ig, ig_released_by=frozenset(released_by)
    )


def hold(
    id: str = "H-12", by: str = "c7", reason: str = "pending civil suit", released_at: datetime | None = None
) -> HoldFacts:
    return HoldFacts(id=id, placed_by=by, reason=reason, released_at=released_at)


def custodian(id: str) -> Person:
    return Person(id, "custodian")


def trooper(id: str) -> Person:
    return Person(id, "trooper")


def decision(clip_facts=None, reports=(), holds=(), now=None, policy=POLICY):
    clip_facts = clip_facts or clip()
    return decide(clip_facts, reports, holds, policy, now or STORED + DAY)
