"""Dry runs: the policy diff shown before a policy change, and the sweep plan."""

from __future__ import annotations

import copy

import pytest

from retention import ClipCase, Decision, RetentionChange, diff_policies, parse_policy, sweep_plan
from tests.retention.helpers import DAY, POLICY, STORED, clip, custodian, decision, hold, report, years

NOW = STORED + 200 * DAY


def edited(version: str, **categories) -> object:
    """The shipped policy with some categories replaced (None removes one)."""
    data = copy.deepcopy(POLICY.model_dump(mode="json", exclude_none=True))
    data["version"] = version
    for name, rule in categories.items():
        if rule is None:
            del data["categories"][name]
        else:
            data["categories"][name] = {"title": name, "source": "a test rule", **rule}
    return parse_policy(data)


CASES = [
    ClipCase(clip(id="C-unclassified")),
    ClipCase(clip("evidentiary", id="C-evidence")),
    ClipCase(clip(id="C-held"), holds=(hold(),)),
    ClipCase(clip(id="C-open-report"), reports=(report(status="open"),)),
    ClipCase(clip("training", id="C-training")),
]


def test_policy_diff_lists_old_and_new_retention_and_what_becomes_deletable():
    new = edited(
        "shorter-unclassified",
        unclassified={"kind": "fixed", "days": 180},
        evidentiary={"kind": "fixed", "years": 5},
    )
    diff = diff_policies(POLICY, new, CASES, NOW)
    by_id = {entry.clip_id: entry for entry in diff.clips}

    assert by_id["C-unclassified"].old.retain_until == years(1)
    assert by_id["C-unclassified"].new.retain_until == STORED + 180 * DAY
    assert diff.becomes_deletable == ("C-unclassified",)  # held and open-report clips stay
    assert diff.shortened == ("C-unclassified", "C-held")  # the held clip's floor drops too
    assert diff.extended == ("C-evidence",)
    assert diff.shortens
    changes = {change.name: change for change in diff.category_changes}
    assert changes["unclassified"].shortens and not changes["evidentiary"].shortens
    text = "\n".join(diff.lines())
    assert "unclassified: 1 year from recording (or storage, if later) -> 180 days" in text
    assert (
        "clip C-unclassified: retain until 2027-01-05 17:00 UTC -> 2026-07-04 17:00 UTC -> DELETABLE NOW"
        in text
    )
    assert "5 clips checked, 2 shortened, 1 extended, 1 would become deletable" in text


def test_identical_policy_changes_nothing():
    diff = diff_policies(POLICY, POLICY, CASES, NOW)
    assert (diff.category_changes, diff.shortened, diff.extended, diff.becomes_deletable) == ((), (), (), ())
    assert not diff.shortens
    assert "no rule changes" in diff.lines()[1]


# fmt: off
P = pytest.param
RULE_CHANGES = [
    P({"training": {"kind": "fixed", "years": 2}}, False, id="longer-period"),
    P({"training": {"kind": "fixed", "days": 365}}, True, id="365-days-is-shorter-than-a-leap-year"),
    P({"training": {"kind": "fixed", "days": 366}}, False, id="366-days-covers-any-year"),
    P({"training": {"kind": "indefinite"}}, False, id="fixed-to-indefinite"),
    P({"training": {"kind": "after_report_closes", "years": 1}}, True, id="fixed-to-after-report-closes"),
    P({"training": None}, True, id="category-removed"),
    P({"body_worn_test": {"kind": "fixed", "days": 90}}, False, id="category-added"),
    P({"inspector_general": {"kind": "until_released", "releases_required": 3}}, False,
      id="three-releases-instead-of-two"),
    P({"pending_matter": {"kind": "fixed", "years": 10}}, True, id="indefinite-to-fixed"),
]
# fmt: on


@pytest.mark.parametrize(("categories", "shortens"), RULE_CHANGES)
def test_rule_change_shortening(categories, shortens):
    diff = diff_policies(POLICY, edited("v2", **categories), [], NOW)
    assert diff.shortens is shortens
    assert len(diff.category_changes) == 1


def test_fewer_ig_releases_shortens():
    three = edited("v2", inspector_general={"kind": "until_released", "releases_required": 3})
    assert diff_policies(three, POLICY, [], NOW).shortens


def test_default_category_change_is_a_shortening_and_needs_second_custodian():
    data = POLICY.model_dump(mode="json", exclude_none=True) | {"version": "v2"}
    new = parse_policy(data | {"default_category": "non_evidentiary"})
    diff = diff_policies(POLICY, new, CASES, NOW)
    assert [c.text for c in diff.category_changes] == [
        "default_category: unclassified -> non_evidentiary (SHORTENS)"
    ]
    assert "C-unclassified" in diff.becomes_deletable
    change = RetentionChange.for_policy("PC-1", custodian("c7"), "non-evidence default", diff)
    assert change.shortens


def test_removed_category_keeps_its_clips_until_reclassified():
    diff = diff_policies(POLICY, edited("v2", training=None), CASES, NOW)
    training = next(entry for entry in diff.clips if entry.clip_id == "C-training")
    assert training.new.retain_until is None and not training.new.deletable
    assert any("not in policy v2" in reason for reason in training.new.reasons)


def test_sweep_plan_lists_only_expired_unheld_clips_oldest_first():
    now = years(5)
    decisions = [
        decision(clip("evidentiary", id="C-4y"), now=now),
        decision(clip("non_evidentiary", id="C-90d"), now=now),
        decision(clip("non_evidentiary", id="C-held"), holds=[hold()], now=now),
        decision(clip("non_evidentiary", id="C-open"), [report(status="open")], now=now),
        decision(clip("non_evidentiary", id="C-young", stored=now - DAY, recorded=now - DAY), now=now),
        decision(clip(id="C-1y"), now=now),
    ]
    plan = sweep_plan(decisions)
    assert [item.clip_id for item in plan] == ["C-90d", "C-1y", "C-4y"]
    assert plan[0].retain_until == STORED + 90 * DAY
    assert plan[0].policy_version == POLICY.version
    assert plan[0].categories == ("non_evidentiary",)
    assert any("category non_evidentiary: 90 days" in reason for reason in plan[0].reasons)


def test_sweep_plan_of_nothing_deletable_is_empty():
    assert sweep_plan([decision(clip(), holds=[hold()], now=years(9))]) == []


def test_a_decision_cannot_claim_a_held_clip_is_deletable():
    fine = decision(clip("non_evidentiary"), now=years(1))
    fields = {name: getattr(fine, name) for name in Decision.__dataclass_fields__}
    with pytest.raises(ValueError, match="cannot be marked deletable"):
        Decision(**(fields | {"legal_hold": True}))
    with pytest.raises(ValueError, match="cannot be marked deletable"):
        Decision(**(fields | {"retain_until": years(2)}))
