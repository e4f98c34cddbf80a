"""An attacker who reads every public page and tries to work out hidden counts.

Written from the page structure, not from the portal's code: the year rows and the
injury rows add up to the area's reports, race rows and gender rows to its people,
towns add up to the state; the change between years and the share with an injury
are used too. For each hidden count, an integer program (scipy's milp, counts
are whole numbers from 0 to a million) finds the smallest and the largest value consistent with
everything published. A count is recovered when both are the same.

`more` adds what another publication of the same data says (the statistics API's
year-by-year tables): its cells go into `published` beside the pages' ones, and
each of its sums as (parts, total).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

STATE = "Statewide"
SUMS = {"by-year": "by-year", "injury": "injury", "by-race": "by-race", "by-gender": "by-gender"}
PAGE_TABLES = ("by-year", "by-force-type", "by-race", "by-gender", "injury")  # one per town page


def attack(
    published: Mapping[tuple[str, str, str], int | None],
    changes: Mapping[tuple[str, str], int | None] | None = None,
    shares: Mapping[str, float | None] | None = None,
    *,
    min_count: int = 5,
    more: Sequence[tuple[list, tuple]] = (),
) -> dict:
    """published: (area, table, row) -> value or None (hidden). Returns what it recovers:
    {cell: value} for single cells and {('sum', relation): value} for a small sum of hidden cells."""
    cells = sorted(published)
    index = {c: i for i, c in enumerate(cells)}
    areas = sorted({a for a, _, _ in cells})
    towns = [a for a in areas if a != STATE]
    rows_of = {}
    for _, table, row in cells:
        rows_of.setdefault(table, set()).add(row)
    equations: list[tuple[dict[int, float], float, float]] = []  # coefficients, low, high

    def eq(coeffs: dict, value: float = 0.0, high: float | None = None):
        equations.append((coeffs, value, value if high is None else high))

    relations = []
    for area in areas:
        for table in SUMS:
            parts = [(area, table, r) for r in sorted(rows_of.get(table, ())) if r != "total"]
            relations.append((parts, (area, table, "total")))
        # the same totals under two names
        eq({index[(area, "by-year", "total")]: 1, index[(area, "injury", "total")]: -1})
        eq({index[(area, "by-race", "total")]: 1, index[(area, "by-gender", "total")]: -1})
    for table, rows in rows_of.items():
        for row in rows if table in PAGE_TABLES else ():
            relations.append(([(t, table, row) for t in towns], (STATE, table, row)))
    relations.extend(more)
    for parts, total in relations:
        coeffs = {index[p]: 1.0 for p in parts}
        coeffs[index[total]] = coeffs.get(index[total], 0) - 1.0
        eq(coeffs)
    years = sorted(r for r in rows_of.get("by-year", ()) if r != "total")
    for (area, year), change in (changes or {}).items():
        if change is not None:
            before = years[years.index(year) - 1]
            eq({index[(area, "by-year", year)]: 1, index[(area, "by-year", before)]: -1}, change)
    for area, share in (shares or {}).items():
        if share is not None:  # injured / reports as a percent, rounded to one decimal
            injured, total = index[(area, "injury", "injured")], index[(area, "by-year", "total")]
            equations.append(({injured: 100.0, total: -(share + 0.05)}, -np.inf, 0.0))
            equations.append(({injured: 100.0, total: -(share - 0.05)}, 0.0, np.inf))
    n = len(cells)
    matrix = np.zeros((len(equations), n))
    low, high = np.zeros(len(equations)), np.zeros(len(equations))
    for i, (coeffs, lo, hi) in enumerate(equations):
        for j, v in coeffs.items():
            matrix[i, j] += v
        low[i], high[i] = lo, hi
    lower = np.array([0 if published[c] is None else published[c] for c in cells], dtype=float)
    upper = np.array([1e6 if published[c] is None else published[c] for c in cells], dtype=float)
    constraints = LinearConstraint(matrix, low, high)
    integrality = np.ones(n)

    def extreme(objective) -> float:
        result = milp(
            objective, constraints=constraints, integrality=integrality, bounds=Bounds(lower, upper)
        )
        assert result.status == 0, f"the published figures are inconsistent or unbounded: {result.message}"
        return result.fun

    recovered = {}
    for cell in cells:
        if published[cell] is not None:
            continue
        objective = np.zeros(n)
        objective[index[cell]] = 1
        smallest = round(extreme(objective))
        largest = round(-extreme(-objective))
        if smallest == largest:
            recovered[cell] = smallest
    for parts, total in relations:  # a hidden group whose sum is known and small
        if published[total] is None:
            continue
        hidden = [p for p in parts if published[p] is None]
        if hidden:
            known = published[total] - sum(published[p] for p in parts if published[p] is not None)
            if known < min_count:
                recovered[("sum", total)] = known
    return recovered


def naive(true_values: Mapping, min_count: int = 5) -> dict:
    """What a portal that hides only the small counts would publish."""
    return {c: (None if v < min_count else v) for c, v in true_values.items()}
