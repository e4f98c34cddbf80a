"""The retention engine: one pure function from facts to a `Decision`.

`decide(clip, linked_reports, holds, policy, now)` looks for every reason to keep
the clip (Frigate's retention predicate, turned around for evidence) and writes
each one down in words:

- each of the clip's categories (or the policy's default when it has none);
  periods count from the later of recording and storage time;
- every linked use-of-force report applies the policy's report category, whatever
  the clip is tagged (a use-of-force video tagged as a crash is still kept):
  open or under review, it keeps the clip without end (and at least the period
  from now); closed, its period runs from the closing date;
- a report the Inspector General investigates keeps the clip until released by
  the required number of different custodians;
- an active legal hold keeps the clip without end;
- a category the policy does not know keeps the clip until someone reclassifies it;
- every recording is kept at least the 90-day floor.

The longest term wins. No I/O, no clock: `now` is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from retention.facts import ClipFacts, Decision, HoldFacts, ReportFacts, ReportStatus, utc
from retention.policy import FLOOR_DAYS, FLOOR_SOURCE, Category, Kind, Policy


@dataclass(frozen=True)
class _Term:
    reason: str
    until: datetime | None = None  # the clip is kept at least until this date
    blocks: bool = False  # ... and, while this term holds, without end


def when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _dated(reason: str, until: datetime, now: datetime) -> _Term:
    return _Term(f"{reason}, until {when(until)}{' (passed)' if until <= now else ''}", until=until)


def _report_term(name: str, rule: Category, report: ReportFacts, now: datetime) -> _Term:
    period = rule.period_text
    if report.status is ReportStatus.CLOSED and report.closed_at is not None:
        reason = f"category {name}: report {report.id} closed {when(report.closed_at)}, kept {period} after"
        return _dated(reason, rule.period_end(report.closed_at), now)
    if report.status is ReportStatus.CLOSED:
        state = f"is closed without a closing date; kept until one is recorded, then {period} after it"
    else:
        state = f"is {report.status.value.replace('_', ' ')}; kept until {period} after it closes"
    # Not closed yet: no end, and at least the period from now (the earliest it
    # could close), which is what the store's retain-until can safely be set to.
    return _Term(f"category {name}: report {report.id} {state}", until=rule.period_end(now), blocks=True)


def _release_term(name: str, rule: Category, report: ReportFacts) -> _Term:
    released = sorted(report.ig_released_by)
    need = rule.releases_required or 2
    by = f" ({', '.join(released)})" if released else ""
    if len(released) >= need:
        return _Term(f"category {name}: report {report.id} released by {len(released)} custodians{by}")
    return _Term(
        f"category {name}: report {report.id} is an Inspector General matter, "
        f"released by {len(released)} of {need} different custodians{by}",
        blocks=True,
    )


def _category_terms(
    name: str, clip: ClipFacts, reports: tuple[ReportFacts, ...], policy: Policy, now: datetime
) -> list[_Term]:
    rule = policy.categories.get(name)
    if rule is None:
        return [
            _Term(
                f"category {name}: not in policy {policy.version}; "
                "kept until a custodian reclassifies the clip",
                blocks=True,
            )
        ]
    if rule.kind is Kind.FIXED:
        anchor = clip.anchor
        return [
            _dated(f"category {name}: {rule.period_text} from {when(anchor)}", rule.period_end(anchor), now)
        ]
    if rule.kind is Kind.INDEFINITE:
        return [_Term(f"category {name}: kept while the category is on the clip", blocks=True)]
    if rule.kind is Kind.AFTER_REPORT_CLOSES:
        if not reports:
            return [
                _Term(
                    f"category {name}: no report linked yet; kept until a linked report closes", blocks=True
                )
            ]
        return [_report_term(name, rule, report, now) for report in reports]
    ig_reports = [report for report in reports if report.inspector_general]
    if not ig_reports:
        return [
            _Term(
                f"category {name}: no Inspector General report linked; kept until one is linked and released",
                blocks=True,
            )
        ]
    return [_release_term(name, rule, report) for report in ig_reports]


def _applied_categories(clip: ClipFacts, reports: tuple[ReportFacts, ...], policy: Policy) -> list[str]:
    names = set(clip.categories) or {policy.default_category}
    if reports:
        names.add(policy.report_category)
    if any(report.inspector_general for report in reports):
        names.add(policy.inspector_general_category)
    return sorted(names)


def decide(
    clip: ClipFacts,
    linked_reports: Iterable[ReportFacts],
    holds: Iterable[HoldFacts],
    policy: Policy,
    now: datetime,
) -> Decision:
    """Decide how long `clip` is kept, whether it may be deleted at `now`, and why."""
    now = utc("now", now)
    reports = tuple(sorted(linked_reports, key=lambda report: report.id))
    categories = _applied_categories(clip, reports, policy)
    terms: list[_Term] = []
    for name in categories:
        terms.extend(_category_terms(name, clip, reports, policy, now))
    active_holds = sorted((hold for hold in holds if hold.active(now)), key=lambda hold: hold.id)
    for hold in active_holds:
        terms.append(
            _Term(f"legal hold {hold.id} placed by custodian {hold.placed_by}: {hold.reason}", blocks=True)
        )
    floor = clip.anchor + timedelta(days=FLOOR_DAYS)
    terms.append(
        _dated(f"floor: every recording is kept at least {FLOOR_DAYS} days ({FLOOR_SOURCE})", floor, now)
    )

    at_least = max(term.until for term in terms if term.until is not None)
    blocked = any(term.blocks for term in terms)
    retain_until = None if blocked else at_least
    return Decision(
        clip_id=clip.id,
        policy_version=policy.version,
        decided_at=now,
        retain_until=retain_until,
        retain_at_least_until=at_least,
        legal_hold=bool(active_holds),
        deletable=retain_until is not None and retain_until <= now,
        categories=tuple(categories),
        reasons=tuple(term.reason for term in terms),
    )
