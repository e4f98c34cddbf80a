"""The counts behind the public portal, and the relations between them.

Pure: `ReportRecord`s (from `ingest_server.reporting`) in, `Counts` out. One cell
per number the portal can show, keyed `(area, table, row)` where `area` is a town
or `STATE`. What each table counts (the same words are in the data dictionary):

- `year`: use-of-force reports by the year of the incident (UTC), every year from
  the first to the last on record, years without a report included;
- `reports`/`total`: all reports in the area;
- `force`: reports in which the type of force was used (on the report or for any
  person on it; a report with two types counts in both rows, so no total);
- `race`, `gender`: people subjected to force (role "subject", one POSTC form
  each), by race and by gender; `persons`/`total`: all of them;
- `injury`: reports in which a person subjected to force was injured, and not.

Statewide, each year also has its own `race`, `gender`, `force` and `persons`
tables (table `yearly(table, year)`, the statistics API gives them year by year;
the pages do not show them): they are cells of the same publication, so a year set
beside all years (or beside another year) discloses nothing either.

The relations: year rows and injury rows add up to the area's reports; race rows
and gender rows add up to its people; every town cell adds up, over the towns, to
the statewide cell of the same table and row; statewide, a year's race rows and
gender rows add up to that year's people, and a row's years add up to the row.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ingest_server.public.suppression import Constraint
from ingest_server.reporting.opm import ReportRecord
from ingest_server.reports.schemas import ForceType

STATE = "__statewide__"
TOTAL = "total"
INJURED, NOT_INJURED = "injured", "not_injured"
FORCE_ORDER = [f.value for f in ForceType]
BY_YEAR = ("race", "gender", "force", "persons")  # statewide tables also counted year by year


@dataclass(frozen=True)
class Counts:
    values: dict[tuple[str, str, str], int]
    constraints: list[Constraint]
    towns: list[str]
    years: list[str]
    force_types: list[str]
    races: list[str]
    genders: list[str]


def yearly(table: str, year: str) -> str:
    """The statewide table `table` for one incident year: ("race", "2025") -> "race/2025"."""
    return f"{table}/{year}"


def category(value: str | None) -> str:
    """Free-text race and gender values grouped case- and space-insensitively."""
    text = re.sub(r"\s+", " ", (value or "").strip()).lower()
    return text or "unknown"


def _subjects(record: ReportRecord) -> list[dict]:
    return [p for p in record.subjects if p.get("role", "subject") == "subject"]


def count(records: Iterable[ReportRecord]) -> Counts:
    records = list(records)
    counter: Counter = Counter()
    towns, years, forces, races, genders = set(), set(), set(), set(), set()
    for record in records:
        town, year = record.town, record.incident_start[:4]
        towns.add(town)
        years.add(int(year))
        people = _subjects(record)
        used = set(record.force_types)
        for person in people:
            used.update(person.get("force_types") or ())
        injured = any(person.get("injured") for person in people)
        for force in used:
            counter[(STATE, yearly("force", year), force)] += 1
        for person in people:
            counter[(STATE, yearly("race", year), category(person.get("race")))] += 1
            counter[(STATE, yearly("gender", year), category(person.get("gender")))] += 1
            counter[(STATE, yearly("persons", year), TOTAL)] += 1
        for area in (town, STATE):
            counter[(area, "year", year)] += 1
            counter[(area, "reports", TOTAL)] += 1
            counter[(area, "injury", INJURED if injured else NOT_INJURED)] += 1
            for force in used:
                counter[(area, "force", force)] += 1
            for person in people:
                counter[(area, "race", category(person.get("race")))] += 1
                counter[(area, "gender", category(person.get("gender")))] += 1
                counter[(area, "persons", TOTAL)] += 1
        forces.update(used)
        races.update(category(p.get("race")) for p in people)
        genders.update(category(p.get("gender")) for p in people)
    year_rows = [str(y) for y in range(min(years), max(years) + 1)] if years else []
    force_rows = sorted(forces, key=lambda f: (FORCE_ORDER.index(f) if f in FORCE_ORDER else 99, f))
    tables = {
        "year": year_rows,
        "reports": [TOTAL],
        "injury": [INJURED, NOT_INJURED],
        "force": force_rows,
        "race": sorted(races),
        "gender": sorted(genders),
        "persons": [TOTAL],
    }
    town_list = sorted(towns, key=lambda t: (t.lower(), t))
    areas = [STATE, *town_list]
    values = {(a, t, r): counter[(a, t, r)] for a in areas for t, rows in tables.items() for r in rows}
    for year in year_rows:
        for table in BY_YEAR:
            for row in tables[table]:
                values[(STATE, yearly(table, year), row)] = counter[(STATE, yearly(table, year), row)]
    constraints = []
    for area in areas:
        constraints.append(Constraint((area, "reports", TOTAL), tuple((area, "year", y) for y in year_rows)))
        constraints.append(
            Constraint((area, "reports", TOTAL), ((area, "injury", INJURED), (area, "injury", NOT_INJURED)))
        )
        for table in ("race", "gender"):
            constraints.append(
                Constraint((area, "persons", TOTAL), tuple((area, table, r) for r in tables[table]))
            )
    for table, rows in tables.items():
        for row in rows:
            constraints.append(Constraint((STATE, table, row), tuple((t, table, row) for t in town_list)))
    for year in year_rows:
        for table in ("race", "gender"):
            parts = tuple((STATE, yearly(table, year), r) for r in tables[table])
            constraints.append(Constraint((STATE, yearly("persons", year), TOTAL), parts))
    for table in BY_YEAR:
        for row in tables[table]:
            parts = tuple((STATE, yearly(table, y), row) for y in year_rows)
            constraints.append(Constraint((STATE, table, row), parts))
    return Counts(
        values=values,
        constraints=[c for c in constraints if c.parts],  # no rows yet (no reports): nothing to add up
        towns=town_list,
        years=year_rows,
        force_types=force_rows,
        races=tables["race"],
        genders=tables["gender"],
    )
