"""Properties over many generated situations: more reasons to keep never mean deletion sooner."""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from retention import ClipFacts, HoldFacts, ReportFacts, decide, is_shortening, store_retain_until
from retention.policy import FLOOR_DAYS, Kind
from tests.retention.helpers import POLICY, RECORDED, STORED

# Per test, never the global profile; no example database written into the shared tree.
KEEP_FAST = settings(
    max_examples=int(os.environ.get("RETENTION_EXAMPLES", "150")), deadline=None, database=None
)

CATEGORIES = sorted(POLICY.categories) + ["retired_category"]
CUSTODIANS = ["c1", "c2", "c3"]
offsets = st.integers(min_value=-400, max_value=4000).map(lambda days: STORED + timedelta(days=days))
later = st.integers(min_value=0, max_value=6000).map(lambda days: STORED + timedelta(days=days))

clips = st.builds(
    ClipFacts,
    id=st.just("C-1"),
    recorded_at=st.integers(-300, 300).map(lambda hours: RECORDED + timedelta(hours=hours)),
    stored_at=st.just(STORED),
    categories=st.frozensets(st.sampled_from(CATEGORIES), max_size=3),
)
reports = st.builds(
    ReportFacts,
    id=st.sampled_from(["R-1", "R-2", "R-3"]),
    status=st.sampled_from(["open", "under_review", "closed"]),
    closed_at=st.one_of(st.none(), offsets),
    inspector_general=st.booleans(),
    ig_released_by=st.frozensets(st.sampled_from(CUSTODIANS)),
)
holds = st.builds(
    HoldFacts,
    id=st.sampled_from(["H-1", "H-2"]),
    placed_by=st.sampled_from(CUSTODIANS),
    reason=st.just("pending civil suit"),
    released_at=st.one_of(st.none(), offsets),
)
situations = st.tuples(clips, st.lists(reports, max_size=3), st.lists(holds, max_size=2), later)


@KEEP_FAST
@given(situations, holds)
def test_adding_a_hold_never_shortens(situation, extra):
    clip, linked, held, now = situation
    before = decide(clip, linked, held, POLICY, now)
    after = decide(clip, linked, [*held, extra], POLICY, now)
    assert not is_shortening(before, after)
    assert not (after.deletable and not before.deletable)


@KEEP_FAST
@given(situations, st.sampled_from(CATEGORIES))
def test_adding_a_category_to_a_categorized_clip_never_shortens(situation, category):
    clip, linked, held, now = situation
    if not clip.categories:
        clip = ClipFacts(clip.id, clip.recorded_at, clip.stored_at, {"non_evidentiary"})
    more = ClipFacts(clip.id, clip.recorded_at, clip.stored_at, clip.categories | {category})
    assert not is_shortening(decide(clip, linked, held, POLICY, now), decide(more, linked, held, POLICY, now))


def _waiting_for_a_report(clip, linked) -> bool:
    kinds = {POLICY.categories[name].kind for name in clip.categories if name in POLICY.categories}
    waits_for_report = Kind.AFTER_REPORT_CLOSES in kinds and not linked
    waits_for_ig = Kind.UNTIL_RELEASED in kinds and not any(r.inspector_general for r in linked)
    return waits_for_report or waits_for_ig


@KEEP_FAST
@given(situations, reports)
def test_linking_another_report_never_shortens(situation, extra):
    """Except for a clip tagged as waiting for its report: linking an already closed or
    released one gives it an end, a shortening a second custodian must see (test_changes)."""
    clip, linked, held, now = situation
    assume(not _waiting_for_a_report(clip, linked))
    before = decide(clip, linked, held, POLICY, now)
    after = decide(clip, [*linked, extra], held, POLICY, now)
    assert not is_shortening(before, after)


@KEEP_FAST
@given(situations, st.integers(min_value=0, max_value=3000))
def test_once_deletable_stays_deletable_as_time_passes(situation, days):
    clip, linked, held, now = situation
    if decide(clip, linked, held, POLICY, now).deletable:
        assert decide(clip, linked, held, POLICY, now + timedelta(days=days)).deletable


@KEEP_FAST
@given(situations)
def test_deletable_only_when_nothing_keeps_the_clip(situation):
    clip, linked, held, now = situation
    result = decide(clip, linked, held, POLICY, now)
    if result.deletable:
        assert now >= clip.anchor + timedelta(days=FLOOR_DAYS)
        assert not any(hold.active(now) for hold in held)
        assert all(report.status == "closed" and report.closed_at is not None for report in linked)
        assert clip.categories <= set(POLICY.categories)
        assert result.retain_until <= now and result.reasons


@KEEP_FAST
@given(st.lists(later, min_size=1, max_size=20))
def test_store_retain_until_never_decreases(desired_values):
    store = None
    for desired in desired_values:
        previous = store
        store = store_retain_until(store, desired)
        assert store >= desired and (previous is None or store >= previous)
    assert store == max(desired_values)
