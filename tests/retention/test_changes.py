"""Changing retention: the store only ever extends; a shortening needs a second, different custodian."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from retention import (
    Approval,
    Approved,
    NeedsSecondApprover,
    Person,
    Rejected,
    RetentionChange,
    approval_state,
    is_shortening,
    store_retain_until,
)
from tests.retention.helpers import DAY, STORED, clip, custodian, decision, hold, report, trooper, years

JAN = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "desired", "written"),
    [
        pytest.param(None, JAN, JAN, id="nothing-in-store-takes-desired"),
        pytest.param(JAN, JAN + DAY, JAN + DAY, id="later-desired-extends"),
        pytest.param(JAN + DAY, JAN, JAN + DAY, id="earlier-desired-never-shortens"),
        pytest.param(JAN, JAN, JAN, id="same-stays"),
        pytest.param(
            JAN,
            (JAN - timedelta(hours=1)).astimezone(ZoneInfo("Asia/Tokyo")),
            JAN,
            id="earlier-instant-in-another-zone-never-shortens",
        ),
    ],
)
def test_store_retain_until_only_extends(current, desired, written):
    assert store_retain_until(current, desired) == written


def test_store_retain_until_refuses_naive_times():
    with pytest.raises(ValueError, match="desired must be timezone-aware"):
        store_retain_until(JAN, datetime(2027, 1, 1))


def test_store_retain_until_over_a_clip_life_never_goes_back():
    """Recompute after each event of a clip's life; the store value only ever grows."""
    events = [
        decision(clip()),  # uncategorized: 1 year
        decision(clip("evidentiary")),  # tagged: 4 years
        decision(clip("non_evidentiary")),  # re-tagged (approved shortening): 90 days
        decision(clip("non_evidentiary"), holds=[hold()]),  # held
    ]
    written, store = [], None
    for event in events:
        store = store_retain_until(store, event.retain_at_least_until)
        written.append(store)
    assert written == [years(1), years(4), years(4), years(4)]


OPEN = [report(status="open")]
CLOSED = [report(status="closed", closed_at=STORED + 30 * DAY)]
AFTER_CLOSE = STORED + 60 * DAY
RELEASED_IG = [report(status="closed", closed_at=STORED, ig=True, released_by=("c7", "c9"))]

# fmt: off
P = pytest.param
SHORTENING = [
    P(decision(clip()), decision(clip("non_evidentiary")), True,
      id="classify-unclassified-as-non-evidentiary"),
    P(decision(clip("non_evidentiary")), decision(clip("evidentiary")), False, id="90-days-to-4-years"),
    P(decision(clip("evidentiary")), decision(clip("evidentiary", "arrest")), False, id="add-equal-category"),
    P(decision(clip("evidentiary")), decision(clip("training")), True, id="4-years-to-1-year"),
    P(decision(clip(), holds=[hold()]), decision(clip()), True, id="release-legal-hold"),
    P(decision(clip(), OPEN, holds=[hold()]), decision(clip(), OPEN), True,
      id="release-hold-while-report-open-still-shortens"),
    P(decision(clip()), decision(clip(), holds=[hold()]), False, id="place-legal-hold"),
    P(decision(clip(), OPEN, now=AFTER_CLOSE), decision(clip(), CLOSED, now=AFTER_CLOSE), True,
      id="closing-report-ends-no-end"),
    P(decision(clip(), CLOSED, now=AFTER_CLOSE), decision(clip(), OPEN, now=AFTER_CLOSE), False,
      id="reopening-report"),
    P(decision(clip("evidentiary"), holds=[hold()]), decision(clip(), holds=[hold()]), True,
      id="drop-evidentiary-while-held-lowers-floor"),
    P(decision(clip("evidentiary"), OPEN), decision(clip(), OPEN), False,
      id="drop-evidentiary-while-report-open-keeps-4-years-after-close"),
    P(decision(clip("pending_matter")), decision(clip("evidentiary")), True, id="drop-pending-matter"),
    P(decision(clip()), decision(clip()), False, id="no-change"),
    P(decision(clip("use_of_force")), decision(clip("use_of_force"), CLOSED), True,
      id="linking-closed-report-to-clip-waiting-for-one"),
    P(decision(clip("use_of_force")), decision(clip("use_of_force"), OPEN), False,
      id="linking-open-report-to-clip-waiting-for-one"),
    P(decision(clip("inspector_general")), decision(clip("inspector_general"), RELEASED_IG), True,
      id="linking-released-ig-report-to-clip-waiting-for-one"),
]
# fmt: on


@pytest.mark.parametrize(("old", "new", "shortens"), SHORTENING)
def test_is_shortening(old, new, shortens):
    assert is_shortening(old, new) is shortens


def test_is_shortening_refuses_two_different_clips():
    with pytest.raises(ValueError, match="different clips"):
        is_shortening(decision(clip(id="A")), decision(clip(id="B")))


C7, C9, C11 = custodian("c7"), custodian("c9"), custodian("c11")
T3 = trooper("t3")
ADMIN = Person("a1", "admin")
SHORTEN_BY_C7 = RetentionChange("RC-1", C7, "clip C-1: evidentiary -> non_evidentiary", shortens=True)
SHORTEN_BY_T3 = RetentionChange("RC-2", T3, "own clip: unclassified -> non_evidentiary", shortens=True)
EXTEND_BY_T3 = RetentionChange("RC-3", T3, "own clip: unclassified -> evidentiary", shortens=False)

# fmt: off
APPROVALS = [
    P(EXTEND_BY_T3, [], Approved, "no second approver needed", id="extending-needs-no-approval"),
    P(SHORTEN_BY_C7, [], NeedsSecondApprover, "needs a second, different custodian", id="shortening-alone"),
    P(SHORTEN_BY_C7, [Approval(C7)], NeedsSecondApprover, "c7 requested the change and cannot approve it",
      id="requester-approves-own-change"),
    P(SHORTEN_BY_C7, [Approval(C7), Approval(C7)], NeedsSecondApprover, "cannot approve it too",
      id="same-custodian-twice-still-needs-second"),
    P(SHORTEN_BY_C7, [Approval(C9)], Approved, "approved by custodian c9", id="second-different-custodian"),
    P(SHORTEN_BY_C7, [Approval(C7), Approval(C9)], Approved, "requested by c7, approved by custodian c9",
      id="own-plus-different-custodian"),
    P(SHORTEN_BY_C7, [Approval(T3)], Rejected, "t3 (trooper) is not a custodian", id="trooper-approving"),
    P(SHORTEN_BY_C7, [Approval(ADMIN)], Rejected, "a1 (admin) is not a custodian", id="admin-approving"),
    P(SHORTEN_BY_C7, [Approval(C9), Approval(T3)], Rejected, "t3 (trooper)",
      id="trooper-approval-rejects-even-after-custodian"),
    P(SHORTEN_BY_C7, [Approval(C9, approve=False, note="trial pending")], Rejected,
      "custodian c9 refused the change: trial pending", id="second-custodian-refuses"),
    P(SHORTEN_BY_C7, [Approval(C9), Approval(C11, approve=False)], Rejected, "c11 refused",
      id="any-custodian-refusal-rejects"),
    P(SHORTEN_BY_T3, [Approval(C7)], Approved, "approved by custodian c7",
      id="trooper-request-approved-by-custodian"),
    P(SHORTEN_BY_T3, [Approval(T3)], Rejected, "t3 (trooper)", id="trooper-approves-own-shortening"),
]
# fmt: on


@pytest.mark.parametrize(("change", "approvals", "state", "reason"), APPROVALS)
def test_approval_state(change, approvals, state, reason):
    result = approval_state(change, approvals)
    assert type(result) is state
    assert any(reason in line for line in result.reasons), result.reasons


def test_change_for_clip_is_shortening_when_decisions_say_so():
    old, new = decision(clip("evidentiary")), decision(clip("non_evidentiary"))
    change = RetentionChange.for_clip("RC-9", C7, "re-tag", old, new)
    assert change.shortens
    assert isinstance(approval_state(change, [Approval(C7)]), NeedsSecondApprover)
    assert isinstance(approval_state(RetentionChange.for_clip("RC-10", C7, "re-tag", new, old), []), Approved)
