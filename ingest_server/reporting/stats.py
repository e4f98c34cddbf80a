"""One incident year of the public use-of-force statistics, as the statistics API
(`GET /api/v1/reporting/stats`) and `evidence-server reports stats` show it.

Pure, and no counting or suppressing of its own: every number is a cell of the
public portal's publication (`ingest_server.public.counts`), hidden or shown as
`ingest_server.public.suppression` decided for the pages and this API together.
So the API and the pages agree cell for cell: a year's reports and each town's
reports that year are the pages' by-year cells; the year's people by race and
gender and its reports by force type are the statewide year-by-year tables that
the same suppression protects against the pages' all-years totals.

Every town, race, gender and force type on record is listed, a zero too, so a
missing row never says "none"; a hidden count is `count: null` and reads "not
shown", the same for a small count and for a complement.
"""

from __future__ import annotations

from ingest_server.public.counts import STATE, TOTAL, yearly
from ingest_server.public.pages import HIDDEN_TEXT
from ingest_server.public.site import Site


def year_stats(built: Site, year: int) -> dict:
    counts, sup, y = built.counts, built.suppression, str(year)

    def count(cell) -> int | None:  # a year outside the publication has no cell: nothing shown
        return counts.values[cell] if cell in counts.values and sup.shown(cell) else None

    def rows(cells: dict) -> list[dict]:
        out = []
        for value, cell in cells.items():
            n = count(cell)
            out.append({"value": value, "count": n, "display": HIDDEN_TEXT if n is None else str(n)})
        return out

    def statewide(table: str, keys: list[str]) -> list[dict]:
        return rows({k: (STATE, yearly(table, y), k) for k in keys})

    meta = built.meta
    return {
        "year": year,
        "reports": count((STATE, "year", y)),
        "persons": count((STATE, yearly("persons", y), TOTAL)),
        "min_count": meta["min_count"],
        "rule": meta["rule"],
        "data_as_of": meta["data_as_of"],
        "stats_policy_version": meta["stats_policy_version"],
        "by_town": rows({t: (t, "year", y) for t in counts.towns}),
        "by_race": statewide("race", counts.races),
        "by_gender": statewide("gender", counts.genders),
        "by_force_type": statewide("force", counts.force_types),
    }
