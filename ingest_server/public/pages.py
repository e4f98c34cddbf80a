"""What each public page shows: the statewide overview and one page per town.

Pure: `Counts` and a `Suppression` in, `Page`s out. A hidden cell is `None` here
and "not shown" on the page, in the CSV and in the JSON alike. Derived figures
(the change from the year before, the share of reports with an injury) are
computed only from shown cells, so they never reveal a hidden one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ingest_server.public.counts import INJURED, NOT_INJURED, STATE, TOTAL, Counts
from ingest_server.public.suppression import Suppression

HIDDEN_TEXT = "not shown"
STATE_NAME = "Statewide"
FORCE_LABELS = {
    "strike": "Strike (hands, feet, impact weapon)",
    "oc_spray": "OC (pepper) spray",
    "cew": "Electronic weapon (CEW) used",
    "less_lethal_projectile": "Less-lethal projectile",
    "chokehold_neck_restraint": "Chokehold or neck restraint",
    "pointing_firearm_launcher_cew": "Firearm, launcher or CEW pointed",
    "firearm_discharge": "Firearm discharged",
    "k9": "Police dog (K9)",
    "other": "Other",
}
FORCE_SHORT = {  # chart labels (the table beside gives the full name)
    "strike": "Strike",
    "oc_spray": "OC spray",
    "cew": "CEW used",
    "less_lethal_projectile": "Projectile",
    "chokehold_neck_restraint": "Neck restraint",
    "pointing_firearm_launcher_cew": "Weapon pointed",
    "firearm_discharge": "Firearm fired",
    "k9": "Police dog",
    "other": "Other",
}
RESERVED_SLUGS = {"statewide", "index", "data-dictionary", "public"}


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    value: int | None  # None: hidden
    change: int | None = None  # year table only: change from the year before, when both are shown
    has_change: bool = False
    short: str = ""  # chart label when the full one is long

    @property
    def chart_label(self) -> str:
        return self.short or self.label

    @property
    def display(self) -> str:
        return HIDDEN_TEXT if self.value is None else f"{self.value:,}"

    @property
    def change_display(self) -> str:
        if not self.has_change:
            return ""
        return HIDDEN_TEXT if self.change is None else f"{self.change:+,}"


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    unit: str
    note: str
    kind: str  # "line", "bars" or "share"
    rows: tuple[Row, ...]
    total: Row | None = None


@dataclass(frozen=True)
class TownLine:
    """One town on the overview: the same cells as the by-year table of its own page."""

    name: str
    slug: str
    years: tuple[Row, ...]
    total: Row


@dataclass(frozen=True)
class Page:
    area: str
    name: str
    slug: str
    tables: tuple[Table, ...]
    injury_share: float | None  # percent of reports with an injury, None when not shown
    towns: tuple[TownLine, ...] = field(default=())  # overview only: each town's reports by year

    @property
    def is_state(self) -> bool:
        return self.area == STATE


def label(text: str) -> str:
    return text.replace("_", " ").strip().title() or "Unknown"


def slugs(towns: list[str]) -> dict[str, str]:
    """A stable file name for each town page, unique, never one of the portal's own names."""
    out, used = {}, set(RESERVED_SLUGS)
    for town in towns:
        base = re.sub(r"[^a-z0-9]+", "-", town.lower()).strip("-") or "town"
        slug, n = base, 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        out[town] = slug
    return out


def _value(counts: Counts, sup: Suppression, cell) -> int | None:
    return counts.values[cell] if sup.shown(cell) else None


def _rows(counts, sup, area, table, keys, labels=None, shorts=None) -> tuple[Row, ...]:
    return tuple(
        Row(
            key=k,
            label=(labels or {}).get(k) or label(k),
            value=_value(counts, sup, (area, table, k)),
            short=(shorts or {}).get(k, ""),
        )
        for k in keys
    )


def page(counts: Counts, sup: Suppression, area: str, slug: str) -> Page:
    reports = Row(TOTAL, "All reports", _value(counts, sup, (area, "reports", TOTAL)))
    persons = Row(TOTAL, "All people", _value(counts, sup, (area, "persons", TOTAL)))
    years, previous = [], None
    for i, year in enumerate(counts.years):
        value = _value(counts, sup, (area, "year", year))
        change = value - previous if (value is not None and previous is not None) else None
        years.append(Row(year, year, value, change=change, has_change=i > 0))
        previous = value
    injured = _value(counts, sup, (area, "injury", INJURED))
    share = None
    if injured is not None and reports.value:
        share = round(100 * injured / reports.value, 1)
    tables = (
        Table(
            "by-year",
            "Uses of force by year",
            "reports",
            "Use-of-force reports by the year of the incident, every year on record; "
            "change: reports minus the year before.",
            "line",
            tuple(years),
            reports,
        ),
        Table(
            "by-force-type",
            "Type of force used",
            "reports",
            "Reports in which each type of force was used; a report with two types counts in both rows, "
            "so the rows do not add up to the number of reports.",
            "bars",
            _rows(counts, sup, area, "force", counts.force_types, FORCE_LABELS, FORCE_SHORT),
        ),
        Table(
            "by-race",
            "Race of people subjected to force",
            "people",
            "People subjected to force (one POSTC form each), by race as recorded on the report.",
            "bars",
            _rows(counts, sup, area, "race", counts.races),
            persons,
        ),
        Table(
            "by-gender",
            "Gender of people subjected to force",
            "people",
            "People subjected to force, by gender as recorded on the report.",
            "bars",
            _rows(counts, sup, area, "gender", counts.genders),
            persons,
        ),
        Table(
            "injury",
            "Reports with an injury",
            "reports",
            "Reports in which a person subjected to force was injured.",
            "share",
            _rows(
                counts,
                sup,
                area,
                "injury",
                [INJURED, NOT_INJURED],
                {INJURED: "With an injury", NOT_INJURED: "Without an injury"},
            ),
            reports,
        ),
    )
    return Page(
        area=area,
        name=STATE_NAME if area == STATE else area,
        slug=slug,
        tables=tables,
        injury_share=share,
    )


def all_pages(counts: Counts, sup: Suppression) -> list[Page]:
    """The overview (first, with its list of towns) and one page per town."""
    names = slugs(counts.towns)
    towns = tuple(
        TownLine(
            name=t,
            slug=names[t],
            years=tuple(Row(y, y, _value(counts, sup, (t, "year", y))) for y in counts.years),
            total=Row(TOTAL, "All years", _value(counts, sup, (t, "reports", TOTAL))),
        )
        for t in counts.towns
    )
    overview = replace(page(counts, sup, STATE, "statewide"), towns=towns)
    return [overview, *(page(counts, sup, t, names[t]) for t in counts.towns)]
