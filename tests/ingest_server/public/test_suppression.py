"""Small-count and complementary suppression as a pure function, in tables."""

from __future__ import annotations

import pytest

from ingest_server.public.suppression import COMPLEMENTARY, PRIMARY, Constraint, recoverable, suppress


def row(total, **parts):
    values = {"T": total, **parts}
    return values, [Constraint("T", tuple(parts))]


@pytest.mark.parametrize(
    ("values", "hidden"),
    [
        # nothing small: nothing hidden
        ({"T": 30, "a": 10, "b": 20}, set()),
        # one small cell: the smallest other part is hidden with it, the total stays
        ({"T": 31, "a": 3, "b": 8, "c": 20}, {"a", "b"}),
        # two small cells that add up to less than 5: a third is hidden so their sum is not small
        ({"T": 30, "a": 1, "b": 2, "c": 7, "d": 20}, {"a", "b", "c"}),
        # two small cells whose sum is at least 5: enough on their own
        ({"T": 30, "a": 3, "b": 4, "c": 23}, {"a", "b"}),
        # a zero is below the minimum too (an empty row must not be recoverable either)
        ({"T": 30, "a": 0, "b": 10, "c": 20}, {"a", "b"}),
        # a zero is the last choice for a complement: it would protect little
        ({"T": 14, "a": 4, "z": 0, "b": 10}, {"a", "z", "b"}),
        # a small total with large-enough parts impossible; a small total hides its parts' sum
        ({"T": 4, "a": 2, "b": 2}, {"T", "a", "b"}),
    ],
)
def test_one_row(values, hidden):
    parts = tuple(k for k in values if k != "T")
    result = suppress(values, [Constraint("T", parts)], min_count=5)
    assert set(result.hidden) == hidden
    assert all(result.hidden[k] == PRIMARY for k in hidden if values[k] < 5)
    assert all(result.hidden[k] == COMPLEMENTARY for k in hidden if values[k] >= 5)


def test_only_one_part_to_hide_hides_the_total():
    values = {"T": 12, "a": 3, "b": 9}
    # a single other part: hiding it makes a+b unknown only if... it is hidden too; with 2 parts both go
    assert set(suppress(values, [Constraint("T", ("a", "b"))], min_count=5).hidden) == {"a", "b"}
    # one part only: the part equals the total, so the total goes
    values = {"T": 3, "a": 3}
    assert set(suppress(values, [Constraint("T", ("a",))], min_count=5).hidden) == {"T", "a"}


def test_a_hidden_total_is_not_the_sum_of_shown_parts():
    # T is hidden as a complement elsewhere (it is a part of G); its own parts are all shown
    values = {"G": 13, "T": 10, "U": 3, "a": 5, "b": 5}
    constraints = [Constraint("G", ("T", "U")), Constraint("T", ("a", "b"))]
    result = suppress(values, constraints, min_count=5)
    assert {"U", "T"} <= set(result.hidden)
    assert result.hidden.keys() & {"a", "b"}  # else T = a + b


def test_two_way_table_protects_by_rows_and_columns():
    # towns x years with margins; one small cell must take three others (a rectangle) with it
    cells = {("A", 1): 3, ("A", 2): 10, ("B", 1): 12, ("B", 2): 15}
    values = dict(cells)
    values.update({("A", "t"): 13, ("B", "t"): 27, ("S", 1): 15, ("S", 2): 25, ("S", "t"): 40})
    constraints = [
        Constraint(("A", "t"), (("A", 1), ("A", 2))),
        Constraint(("B", "t"), (("B", 1), ("B", 2))),
        Constraint(("S", 1), (("A", 1), ("B", 1))),
        Constraint(("S", 2), (("A", 2), ("B", 2))),
        Constraint(("S", "t"), (("A", "t"), ("B", "t"))),
    ]
    result = suppress(values, constraints, min_count=5)
    assert set(cells) <= set(result.hidden)
    assert not recoverable(set(result.hidden), constraints)


def test_a_bridge_between_two_protected_blocks_is_found_by_elimination():
    # Each hidden cell follows from a chain of relations (b from S, then x from R2, then a from R1):
    # elimination finds all three, and one more hidden cell (c) breaks the chain.
    values = {"R1": 20, "R2": 20, "a": 10, "x": 10, "b": 10, "c": 10}
    constraints = [Constraint("R1", ("a", "x")), Constraint("R2", ("x", "b")), Constraint("S", ("b", "c"))]
    values["S"] = 20
    hidden = {"a", "x", "b"}  # S shown, c shown: b = S - c, then x = R2 - b, a = R1 - x
    assert recoverable(hidden, constraints) == {"a", "x", "b"}
    assert recoverable({"a", "x", "b", "c"}, constraints) == set()


def test_recoverable_through_a_combination_of_relations():
    # a - b is known from two totals; with b known elsewhere, a is recoverable
    constraints = [Constraint("T1", ("a", "c")), Constraint("T2", ("b", "c")), Constraint("T3", ("b", "d"))]
    assert recoverable({"a", "b", "c"}, constraints) == {"a", "b", "c"}
    assert recoverable({"a", "b", "c", "d"}, constraints) == set()


def test_relations_that_do_not_add_up_are_refused():
    with pytest.raises(ValueError, match="does not add up"):
        suppress({"T": 5, "a": 1, "b": 1}, [Constraint("T", ("a", "b"))], min_count=5)
    with pytest.raises(ValueError, match="without a value"):
        suppress({"T": 5}, [Constraint("T", ("a",))], min_count=5)
