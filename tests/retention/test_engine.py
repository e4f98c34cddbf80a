"""The engine, in tables: each row is a clip's situation and what the policy must say.

Times: recorded 2026-01-05 09:00 UTC, stored 8 hours later (STORED); fixed
periods count from STORED. `None` for retain-until means "no end while
something holds the clip".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from retention import ClipFacts, HoldFacts, ReportFacts, decide
from tests.retention.helpers import DAY, POLICY, RECORDED, SECOND, STORED, clip, decision, hold, report, years

LATER = years(10)  # far past every fixed period

# fmt: off
P = pytest.param
CASES = [
    # --- categories and the default ---
    P(clip(), [], [], STORED + DAY, years(1), False, ["category unclassified: 1 year"],
      id="uncategorized-clip-gets-unclassified-default-1-year"),
    P(clip(), [], [], years(1) - SECOND, years(1), False, [], id="unclassified-kept-until-1-year"),
    P(clip(), [], [], years(1), years(1), True, ["(passed)"], id="unclassified-deletable-at-1-year"),
    P(clip("non_evidentiary"), [], [], STORED + 89 * DAY, STORED + 90 * DAY, False, [],
      id="non-evidentiary-kept-89-days"),
    P(clip("non_evidentiary"), [], [], STORED + 90 * DAY, STORED + 90 * DAY, True,
      ["category non_evidentiary: 90 days"], id="non-evidentiary-deletable-at-90-days"),
    P(clip("evidentiary"), [], [], years(3), years(4), False, ["category evidentiary: 4 years"],
      id="evidentiary-4-years"),
    P(clip("arrest"), [], [], years(4), years(4), True, [], id="arrest-deletable-at-4-years"),
    # --- longest wins ---
    P(clip("non_evidentiary", "evidentiary"), [], [], STORED + 100 * DAY, years(4), False,
      ["category non_evidentiary", "category evidentiary"], id="longest-wins-evidentiary-over-90-days"),
    P(clip("non_evidentiary", "training"), [], [], STORED + 100 * DAY, years(1), False, [],
      id="longest-wins-training-over-non-evidentiary"),
    P(clip("training", "arrest", "non_evidentiary"), [], [], years(2), years(4), False, [],
      id="longest-wins-of-three"),
    P(clip("non_evidentiary", "pending_matter"), [], [], LATER, None, False,
      ["category pending_matter: kept while the category is on the clip"],
      id="pending-matter-keeps-without-end"),
    # --- legal holds ---
    P(clip("non_evidentiary"), [], [hold()], LATER, None, False,
      ["legal hold H-12 placed by custodian c7: pending civil suit"], id="hold-blocks-without-end"),
    P(clip("non_evidentiary"), [], [hold(released_at=STORED + 200 * DAY)], STORED + 100 * DAY,
      None, False, ["legal hold H-12"], id="hold-released-later-still-blocks-now"),
    P(clip("non_evidentiary"), [], [hold(released_at=STORED + 10 * DAY)], STORED + 100 * DAY,
      STORED + 90 * DAY, True, [], id="released-hold-no-longer-blocks"),
    # --- linked use-of-force reports ---
    P(clip("non_evidentiary"), [report(status="open")], [], LATER, None, False,
      ["category use_of_force: report UOF-2026-0042 is open"], id="open-report-blocks"),
    P(clip(), [report(status="under_review")], [], LATER, None, False,
      ["report UOF-2026-0042 is under review"], id="report-under-review-blocks"),
    P(clip("non_evidentiary"), [report(status="closed", closed_at=STORED + 200 * DAY)], [],
      years(4, STORED + 200 * DAY) - SECOND, years(4, STORED + 200 * DAY), False,
      ["report UOF-2026-0042 closed 2026-07-24 17:00 UTC, kept 4 years after"],
      id="closing-report-starts-4-years-from-closing-date"),
    P(clip("non_evidentiary"), [report(status="closed", closed_at=STORED + 200 * DAY)], [],
      years(4, STORED + 200 * DAY), years(4, STORED + 200 * DAY), True, [],
      id="closed-report-deletable-4-years-after-closing"),
    P(clip(), [report(status="closed", closed_at=None)], [], LATER, None, False,
      ["closed without a closing date; kept until one is recorded, then 4 years after it"],
      id="closed-report-without-date-blocks"),
    P(clip(), [report("R-1", "closed", STORED + DAY), report("R-2", "open")], [], LATER, None, False,
      ["report R-1 closed", "report R-2 is open"], id="one-open-report-of-two-blocks"),
    P(clip(), [report("R-1", "closed", STORED + DAY), report("R-2", "closed", STORED + 400 * DAY)], [],
      STORED + 500 * DAY, years(4, STORED + 400 * DAY), False, [],
      id="latest-closing-of-two-reports-wins"),
    P(clip("non_evidentiary"), [report(status="open")], [], STORED + 100 * DAY, None, False,
      ["category non_evidentiary", "category use_of_force"],
      id="waukesha-mis-tagged-clip-kept-by-its-report"),
    P(clip("use_of_force"), [], [], LATER, None, False,
      ["category use_of_force: no report linked yet"], id="use-of-force-tag-without-report-blocks"),
    # --- Inspector General matters ---
    P(clip(), [report(status="closed", closed_at=STORED, ig=True)], [], LATER, None, False,
      ["Inspector General matter, released by 0 of 2 different custodians"],
      id="ig-matter-unreleased-blocks"),
    P(clip(), [report(status="closed", closed_at=STORED, ig=True, released_by=("c7",))], [],
      LATER, None, False, ["released by 1 of 2 different custodians (c7)"],
      id="ig-one-custodian-not-enough"),
    P(clip(), [report(status="closed", closed_at=STORED, ig=True, released_by=("c7", "c7"))], [],
      LATER, None, False, ["released by 1 of 2"], id="ig-same-custodian-twice-not-enough"),
    P(clip(), [report(status="closed", closed_at=STORED, ig=True, released_by=("c7", "c9"))], [],
      LATER, years(4), True, ["report UOF-2026-0042 released by 2 custodians (c7, c9)"],
      id="ig-released-by-two-custodians"),
    P(clip(), [report(status="open", ig=True, released_by=("c7", "c9"))], [], LATER, None, False,
      ["report UOF-2026-0042 is open"], id="ig-released-but-report-still-open"),
    P(clip("inspector_general"), [], [], LATER, None, False,
      ["no Inspector General report linked"], id="ig-tag-without-ig-report-blocks"),
    # --- field failures ---
    P(clip("non_evidentiary", recorded=STORED - 200 * DAY), [], [], STORED + DAY,
      STORED + 90 * DAY, False, [], id="camera-docked-200-days-late-kept-90-days-from-storage"),
    P(clip("use_of_force"), [report(status="closed", closed_at=STORED - 5 * 365 * DAY)], [],
      STORED + DAY, STORED + 90 * DAY, False, ["floor: every recording is kept at least 90 days"],
      id="floor-90-days-when-report-closed-long-before-upload"),
    P(clip("retired_category"), [], [], LATER, None, False,
      ["category retired_category: not in policy"], id="unknown-category-blocks-until-reclassified"),
]
# fmt: on


@pytest.mark.parametrize(
    ("clip_facts", "reports", "holds", "now", "retain_until", "deletable", "reasons"), CASES
)
def test_decide(clip_facts, reports, holds, now, retain_until, deletable, reasons):
    result = decide(clip_facts, reports, holds, POLICY, now)
    assert result.retain_until == retain_until
    assert result.deletable is deletable
    assert result.legal_hold is any(h.active(now) for h in holds)
    for expected in reasons:
        assert any(expected in reason for reason in result.reasons), (expected, result.reasons)


def test_every_decision_names_policy_version_categories_and_floor():
    result = decision(clip(), [report(status="closed", closed_at=STORED, ig=True)])
    assert result.policy_version == POLICY.version
    assert result.categories == ("inspector_general", "unclassified", "use_of_force")
    assert result.reasons[-1].startswith("floor: every recording is kept at least 90 days")


def test_retain_at_least_until_is_the_dated_part_even_when_held():
    result = decision(clip("evidentiary"), holds=[hold()])
    assert result.retain_until is None
    assert result.retain_at_least_until == years(4)
    assert result.legal_hold


def test_leap_day_plus_years_never_falls_short():
    leap = datetime(2028, 2, 29, 12, tzinfo=UTC)
    result = decision(clip("training", recorded=leap, stored=leap), now=leap)
    assert result.retain_until == datetime(2029, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: ClipFacts("C", datetime(2026, 1, 1), STORED),
            "recorded_at must be timezone-aware",
            id="naive-recorded-at",
        ),
        pytest.param(
            lambda: ClipFacts("C", RECORDED, STORED, "arrest"),
            "not the single string",
            id="categories-as-one-string",
        ),
        pytest.param(
            lambda: ReportFacts("R", "reopened"),
            "status 'reopened' is not one of",
            id="unknown-report-status",
        ),
        pytest.param(
            lambda: HoldFacts("H", "c7", "x", datetime(2026, 1, 1)),
            "released_at must be timezone-aware",
            id="naive-hold-release",
        ),
        pytest.param(
            lambda: decide(clip(), [], [], POLICY, datetime(2026, 1, 1)),
            "now must be timezone-aware",
            id="naive-now",
        ),
    ],
)
def test_bad_facts_are_refused_with_the_field_named(build, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build()


def test_times_in_other_zones_compare_as_instants():
    eastern = STORED.astimezone(ZoneInfo("America/New_York"))
    result = decision(clip("non_evidentiary", recorded=eastern, stored=eastern), now=STORED + 90 * DAY)
    assert result.deletable
    assert result.retain_until == STORED + timedelta(days=90)
