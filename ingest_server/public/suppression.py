"""Small-count suppression for a whole publication, with complementary suppression.

Pure. The input is every count the publication shows (`values`, keyed by any
hashable cell key) and every additive relation between them (`Constraint`: the
parts add up to the total). The output says which cells are hidden and why.

Rules, applied until nothing changes:
1. Primary: a count below `min_count` (zero included) is hidden.
2. Per relation: hidden cells must not be recoverable by subtraction. With the
   total shown, the hidden parts add up to a known number, so one hidden part
   alone is recoverable, and several hidden parts whose sum is below
   `min_count` disclose a small count together: hide one more part (the
   smallest shown one). With the total hidden and every part shown, the total
   is their sum: hide the smallest part.
3. Whole system: relations combine (a town's year row and the statewide year
   column, a year difference and a total). A hidden cell is recoverable exactly
   when its unit vector lies in the row space of the relations restricted to
   hidden cells; that is checked with exact rational elimination, and a
   recoverable cell gets one more complement in one of its relations.

Every hidden cell is shown the same way (never "<5" for one and "hidden" for
another), so a reader cannot tell a primary from a complement and bound it.
Derived figures (year-over-year differences, shares) are published only when
every cell they are made of is shown; they add no relation.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

DEFAULT_MIN_COUNT = 5  # the public rule: counts below 5 are not shown, on the pages and in the API
PRIMARY, COMPLEMENTARY = "below the minimum count", "complementary (protects a hidden count)"


@dataclass(frozen=True)
class Constraint:
    """sum(parts) == total, as published."""

    total: Hashable
    parts: tuple[Hashable, ...]

    def members(self) -> tuple[Hashable, ...]:
        return (*self.parts, self.total)


@dataclass(frozen=True)
class Suppression:
    hidden: Mapping[Hashable, str]  # cell -> why (PRIMARY or COMPLEMENTARY)
    min_count: int

    def shown(self, cell: Hashable) -> bool:
        return cell not in self.hidden


def _check(values: Mapping, constraints: Sequence[Constraint]) -> None:
    for c in constraints:
        missing = [m for m in c.members() if m not in values]
        if missing:
            raise ValueError(f"relation for {c.total!r} names cells without a value: {missing!r}")
        if sum(values[p] for p in c.parts) != values[c.total]:
            raise ValueError(f"relation for {c.total!r} does not add up")
    negative = [k for k, v in values.items() if v < 0]
    if negative:
        raise ValueError(f"counts must not be negative: {negative!r}")


def _smallest_shown(cells, values, hidden) -> Hashable | None:
    # Smallest non-zero first: a zero complement protects little (a reader may guess it).
    candidates = [c for c in cells if c not in hidden]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (values[c] == 0, values[c], repr(c)))


def _local_fix(c: Constraint, values, hidden, min_count) -> Hashable | None:
    """The cell to hide next for relation `c` alone, or None when it is safe."""
    hidden_parts = [p for p in c.parts if p in hidden]
    if c.total in hidden:
        if hidden_parts or not c.parts:
            return None
        return _smallest_shown(c.parts, values, hidden)
    if not hidden_parts:
        return None
    if len(hidden_parts) >= 2 and sum(values[p] for p in hidden_parts) >= min_count:
        return None
    return _smallest_shown(c.parts, values, hidden) or c.total


def recoverable(hidden: set, constraints: Sequence[Constraint]) -> set:
    """Hidden cells whose value follows exactly from the shown ones (exact elimination)."""
    unknowns = sorted(hidden, key=repr)
    index = {cell: i for i, cell in enumerate(unknowns)}
    rows = []
    for c in constraints:
        row = {}
        for p in c.parts:
            if p in index:
                row[index[p]] = row.get(index[p], 0) + 1
        if c.total in index:
            row[index[c.total]] = row.get(index[c.total], 0) - 1
        row = {k: Fraction(v) for k, v in row.items() if v}
        if row:
            rows.append(row)
    # Reduced row echelon form over the rationals, rows as sparse dicts.
    pivots: list[tuple[int, dict]] = []
    for row in rows:
        for col, prow in pivots:
            if col in row:
                factor = row[col]
                for k, v in prow.items():
                    row[k] = row.get(k, 0) - factor * v
                row = {k: v for k, v in row.items() if v}
        if not row:
            continue
        col = min(row)
        lead = row[col]
        row = {k: v / lead for k, v in row.items()}
        for i, (pcol, prow) in enumerate(pivots):
            if col in prow:
                factor = prow[col]
                for k, v in row.items():
                    prow[k] = prow.get(k, 0) - factor * v
                pivots[i] = (pcol, {k: v for k, v in prow.items() if v})
        pivots.append((col, row))
    return {unknowns[col] for col, row in pivots if len(row) == 1}


def suppress(
    values: Mapping[Hashable, int], constraints: Sequence[Constraint], *, min_count: int
) -> Suppression:
    """Decide which cells to hide. Raises ValueError if a relation does not add up."""
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    _check(values, constraints)
    hidden: dict[Hashable, str] = {k: PRIMARY for k, v in values.items() if v < min_count}
    by_cell: dict[Hashable, list[Constraint]] = {}
    for c in constraints:
        for m in c.members():
            by_cell.setdefault(m, []).append(c)
    while True:
        changed = False
        for c in constraints:
            cell = _local_fix(c, values, hidden, min_count)
            while cell is not None:
                hidden[cell] = COMPLEMENTARY
                changed = True
                cell = _local_fix(c, values, hidden, min_count)
        if changed:
            continue
        exposed = recoverable(set(hidden), constraints)
        if not exposed:
            return Suppression(hidden=hidden, min_count=min_count)
        target = min(exposed, key=repr)
        options = [_smallest_shown(c.members(), values, hidden) for c in by_cell.get(target, ())]
        options = [o for o in options if o is not None]
        if not options:  # every neighbour is hidden already: widen to any shown cell
            options = [o for o in [_smallest_shown(list(values), values, hidden)] if o is not None]
        if not options:  # everything is hidden: what is left to learn is structure (an empty table is 0)
            return Suppression(hidden=hidden, min_count=min_count)
        hidden[min(options, key=lambda c: (values[c] == 0, values[c], repr(c)))] = COMPLEMENTARY
