"""The annual use-of-force export for OPM's Criminal Justice Policy and Planning
Division, with anything identifying a minor, victim or witness removed.

Pure: report records in, rows out. One row per person on a report (POSTC: one form
per person subjected to force); a report with no person entries gives one row.
For a minor, a victim or a witness, the name and identifier are replaced by
REDACTED, and every free-text field of the whole report (description, location,
injuries) has their name, each part of it and their identifier scrubbed, so a
protected person cannot be found by reading any field of any row.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

REDACTED = "REDACTED"
PROTECTED_ROLES = frozenset({"victim", "witness"})
COLUMNS = (
    "report_number",
    "incident_start",
    "incident_end",
    "town",
    "location",
    "description",
    "status",
    "closed_at",
    "officers",
    "vehicles",
    "report_force_types",
    "inspector_general",
    "person_index",
    "person_role",
    "person_name",
    "person_identifier",
    "race",
    "ethnicity",
    "gender",
    "age_group",
    "minor",
    "injured",
    "injuries",
    "person_force_types",
)
MIN_TOKEN = 3  # name parts shorter than this ("Jo", initials) are not scrubbed alone


@dataclass(frozen=True)
class ReportRecord:
    number: str
    incident_start: str
    incident_end: str
    town: str
    location: str
    description: str
    status: str
    closed_at: str
    officers: tuple[str, ...]
    vehicles: tuple[str, ...]
    force_types: tuple[str, ...]
    inspector_general: bool
    subjects: tuple[dict, ...]


def protected(person: dict) -> bool:
    return (
        bool(person.get("minor"))
        or person.get("age_group") == "under_18"
        or person.get("role") in PROTECTED_ROLES
    )


def _needles(people: Iterable[dict]) -> list[str]:
    found = set()
    for person in people:
        for value in (person.get("name", ""), person.get("identifier", "")):
            value = value.strip()
            if value:
                found.add(value)
                found.update(t for t in re.split(r"[\s,.;:()'\"/-]+", value) if len(t) >= MIN_TOKEN)
    return sorted(found, key=len, reverse=True)  # longest first: "Ann Lee" before "Ann"


def scrub(text: str, needles: list[str]) -> str:
    for needle in needles:
        text = re.sub(re.escape(needle), REDACTED, text, flags=re.IGNORECASE)
    return text


def rows(records: Iterable[ReportRecord]) -> list[dict]:
    out = []
    for record in records:
        needles = _needles(p for p in record.subjects if protected(p))
        base = {
            "report_number": record.number,
            "incident_start": record.incident_start,
            "incident_end": record.incident_end,
            "town": record.town,
            "location": scrub(record.location, needles),
            "description": scrub(record.description, needles),
            "status": record.status,
            "closed_at": record.closed_at,
            "officers": ";".join(record.officers),
            "vehicles": ";".join(record.vehicles),
            "report_force_types": ";".join(record.force_types),
            "inspector_general": record.inspector_general,
        }
        people = record.subjects or ({},)
        for index, person in enumerate(people, 1):
            hidden = protected(person)
            row = dict(base)
            row.update(
                {
                    "person_index": index if person else "",
                    "person_role": person.get("role", ""),
                    "person_name": REDACTED if hidden else scrub(person.get("name", ""), needles),
                    "person_identifier": REDACTED if hidden else scrub(person.get("identifier", ""), needles),
                    "race": person.get("race", ""),
                    "ethnicity": person.get("ethnicity", ""),
                    "gender": person.get("gender", ""),
                    "age_group": person.get("age_group", ""),
                    "minor": bool(person.get("minor")) if person else "",
                    "injured": bool(person.get("injured")) if person else "",
                    "injuries": scrub(person.get("injuries", ""), needles),
                    "person_force_types": ";".join(person.get("force_types", [])),
                }
            )
            out.append(row)
    return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first)
    gets a leading apostrophe, as OWASP advises for CSV injection; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(table: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in table)
    return buffer.getvalue()


def to_json(table: list[dict], year: int) -> str:
    return json.dumps(
        {
            "title": f"Use-of-force reports {year} (CGS 7-282e), redacted for minors, victims and witnesses",
            "year": year,
            "rows": table,
        },
        indent=2,
        sort_keys=True,
    )
