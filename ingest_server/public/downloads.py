"""CSV and JSON of exactly what a public page shows, and the data dictionary.

Pure. One row per number on the page (the change from the year before and the
share with an injury included); a hidden number has an empty value and status
"not shown". Text cells that a spreadsheet would run as a formula (starting with
= + - @, a tab or a carriage return) get a leading apostrophe; numbers are
written as numbers.
"""

from __future__ import annotations

import csv
import io
import json

from ingest_server.public.pages import HIDDEN_TEXT, Page

COLUMNS = ("area", "table", "row", "label", "value", "status", "unit")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DICTIONARY = (
    ("area", "Statewide, or the town the page is about."),
    (
        "table",
        "by-year, by-force-type, by-race, by-gender, injury (counts); year-change (change from the "
        "year before); injury-share (percent of reports with an injury); by-town (statewide page only: "
        "each town's reports by year).",
    ),
    ("row", "The year, force type, race, gender or 'total' the number is for (a machine-readable key)."),
    ("label", "The same row as written on the page."),
    ("value", f"The number, or empty when it is {HIDDEN_TEXT}."),
    (
        "status",
        f"'shown', or '{HIDDEN_TEXT}': a count below the minimum, or a larger count hidden so that a "
        "hidden one cannot be worked out from totals, other years or other pages.",
    ),
    ("unit", "reports (use-of-force reports), people (people subjected to force) or percent."),
)
DEFINITIONS = (
    ("by-year", "Use-of-force reports by the year (UTC) the incident started, every year on record."),
    (
        "by-force-type",
        "Reports in which the type of force was used, on the report or for any person on it. A report "
        "with two types counts in both rows, so the rows do not add up.",
    ),
    ("by-race", "People subjected to force (one POSTC form each), by race as recorded."),
    ("by-gender", "People subjected to force, by gender as recorded."),
    ("injury", "Reports in which a person subjected to force was injured, and reports in which none was."),
    ("year-change", "This year's reports minus the year before, shown only when both years are shown."),
    ("by-town", "Statewide page only: each town's reports by year, row 'TOWN/YEAR' or 'TOWN/total'."),
    (
        "injury-share",
        "Reports with an injury as a percent of all reports, one decimal, shown only when both are shown.",
    ),
)


def neutralise(cell):
    """Text a spreadsheet would evaluate gets a leading apostrophe; numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def records(page: Page) -> list[dict]:
    """Every number on `page`, one dict each, in page order."""
    out = []

    def add(table, row, label, value, unit, hidden):
        out.append(
            {
                "area": page.name,
                "table": table,
                "row": row,
                "label": label,
                "value": None if hidden else value,
                "status": HIDDEN_TEXT if hidden else "shown",
                "unit": unit,
            }
        )

    for table in page.tables:
        for row in (*table.rows, *([table.total] if table.total else [])):
            add(table.id, row.key, row.label, row.value, table.unit, row.value is None)
        if table.id == "by-year":
            for row in table.rows:
                if row.has_change:
                    add(
                        "year-change",
                        row.key,
                        f"{row.label} change",
                        row.change,
                        "reports",
                        row.change is None,
                    )
        if table.id == "injury":
            add(
                "injury-share",
                "injured",
                "Share with an injury",
                page.injury_share,
                "percent",
                page.injury_share is None,
            )
    for town in page.towns:  # the overview's town-by-year table
        for row in (*town.years, town.total):
            add(
                "by-town",
                f"{town.name}/{row.key}",
                f"{town.name}, {row.label}",
                row.value,
                "reports",
                row.value is None,
            )
    return out


def to_csv(page: Page) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for rec in records(page):
        writer.writerow([neutralise("" if rec[c] is None else rec[c]) for c in COLUMNS])
    return buffer.getvalue()


def to_json(page: Page, meta: dict) -> str:
    return json.dumps({**meta, "area": page.name, "rows": records(page)}, indent=2, ensure_ascii=False)


def dictionary_csv() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(("kind", "name", "meaning"))
    for name, meaning in DICTIONARY:
        writer.writerow(("column", name, meaning))
    for name, meaning in DEFINITIONS:
        writer.writerow(("table", name, meaning))
    return buffer.getvalue()
