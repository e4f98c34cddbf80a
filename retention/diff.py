"""Dry runs: what a policy change would do, and what a sweep would delete.

`diff_policies(old, new, cases, now)` decides every clip under both policies and
lists, per clip, the old and new retain-until and which clips would become
deletable; it also lists each category whose rule changed and whether that
change shortens anything. A policy change that shortens anything needs a second
custodian (`RetentionChange.for_policy`). Axon deletes what a shortened category
puts past its period at once; here the custodians see this list first.

`sweep_plan(decisions)` lists the clips a sweep would delete, with their reasons;
the sweeper decides again just before each deletion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from retention.engine import decide, when
from retention.facts import ClipCase, Decision, is_shortening, utc
from retention.policy import Category, Kind, Policy

# Start times that tell calendar years and day counts apart (leap day included).
_PROBES = tuple(datetime(y, m, d, tzinfo=UTC) for y, m, d in ((2023, 1, 1), (2023, 3, 1), (2024, 2, 29)))


def _keeps_at_least(new: Category | None, old: Category | None) -> bool:
    """True if `new` keeps every clip at least as long as `old` did, in every situation."""
    if old is None or (new is not None and new.kind is Kind.INDEFINITE):
        return True
    if new is None or new.kind is not old.kind:
        return False
    if new.kind is Kind.UNTIL_RELEASED:
        return (new.releases_required or 2) >= (old.releases_required or 2)
    if new.kind is Kind.INDEFINITE:
        return True
    return all(new.period_end(start) >= old.period_end(start) for start in _PROBES)


@dataclass(frozen=True)
class CategoryChange:
    name: str
    old_rule: str | None  # None: the category is new
    new_rule: str | None  # None: the category was removed
    shortens: bool

    @property
    def text(self) -> str:
        verdict = " (SHORTENS)" if self.shortens else ""
        return f"{self.name}: {self.old_rule or 'absent'} -> {self.new_rule or 'removed'}{verdict}"


def _category_changes(old: Policy, new: Policy) -> list[CategoryChange]:
    changes = []
    for name in sorted(set(old.categories) | set(new.categories)):
        before, after = old.categories.get(name), new.categories.get(name)
        if before == after:
            continue
        changes.append(
            CategoryChange(
                name,
                before.rule_text if before else None,
                after.rule_text if after else None,
                not _keeps_at_least(after, before),
            )
        )
    for field in ("default_category", "report_category", "inspector_general_category"):
        before_name, after_name = getattr(old, field), getattr(new, field)
        if before_name != after_name:
            shortens = not _keeps_at_least(new.categories[after_name], old.categories[before_name])
            changes.append(CategoryChange(field, before_name, after_name, shortens))
    return changes


@dataclass(frozen=True)
class ClipDiff:
    clip_id: str
    old: Decision
    new: Decision

    @property
    def shortened(self) -> bool:
        return is_shortening(self.old, self.new)

    @property
    def extended(self) -> bool:
        return is_shortening(self.new, self.old)

    @property
    def becomes_deletable(self) -> bool:
        return self.new.deletable and not self.old.deletable

    @property
    def text(self) -> str:
        def until(decision: Decision) -> str:
            if decision.retain_until is not None:
                return when(decision.retain_until)
            return f"no end (at least {when(decision.retain_at_least_until)})"

        tail = " -> DELETABLE NOW" if self.becomes_deletable else (" (shorter)" if self.shortened else "")
        return f"clip {self.clip_id}: retain until {until(self.old)} -> {until(self.new)}{tail}"


@dataclass(frozen=True)
class PolicyDiff:
    old_version: str
    new_version: str
    category_changes: tuple[CategoryChange, ...]
    clips: tuple[ClipDiff, ...]

    @property
    def becomes_deletable(self) -> tuple[str, ...]:
        return tuple(c.clip_id for c in self.clips if c.becomes_deletable)

    @property
    def shortened(self) -> tuple[str, ...]:
        return tuple(c.clip_id for c in self.clips if c.shortened)

    @property
    def extended(self) -> tuple[str, ...]:
        return tuple(c.clip_id for c in self.clips if c.extended)

    @property
    def shortens(self) -> bool:
        return bool(self.shortened) or any(change.shortens for change in self.category_changes)

    def lines(self) -> list[str]:
        """The dry run as a person reads it: rule changes, then every clip whose retention moves."""
        out = [f"policy {self.old_version} -> {self.new_version}"]
        out += [f"  {change.text}" for change in self.category_changes] or ["  no rule changes"]
        moved = [
            c for c in self.clips if c.old.retain_until != c.new.retain_until or c.shortened or c.extended
        ]
        out += [f"  {c.text}" for c in moved]
        out.append(
            f"  {len(self.clips)} clips checked, {len(self.shortened)} shortened, "
            f"{len(self.extended)} extended, {len(self.becomes_deletable)} would become deletable"
        )
        return out


def diff_policies(old: Policy, new: Policy, cases: Iterable[ClipCase], now: datetime) -> PolicyDiff:
    """Decide every clip under `old` and `new` at `now` and list the differences."""
    now = utc("now", now)
    clips = tuple(
        ClipDiff(
            case.clip.id,
            decide(case.clip, case.reports, case.holds, old, now),
            decide(case.clip, case.reports, case.holds, new, now),
        )
        for case in cases
    )
    return PolicyDiff(old.version, new.version, tuple(_category_changes(old, new)), clips)


@dataclass(frozen=True)
class SweepItem:
    clip_id: str
    retain_until: datetime
    policy_version: str
    categories: tuple[str, ...]
    reasons: tuple[str, ...]


def sweep_plan(decisions: Iterable[Decision]) -> list[SweepItem]:
    """The clips a sweep may delete (deletable, unheld, expired), oldest retain-until first."""
    items = [
        SweepItem(d.clip_id, d.retain_until, d.policy_version, d.categories, d.reasons)
        for d in decisions
        if d.deletable and not d.legal_hold and d.retain_until is not None and d.retain_until <= d.decided_at
    ]
    return sorted(items, key=lambda item: (item.retain_until, item.clip_id))
