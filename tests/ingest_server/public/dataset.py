"""A generated set of use-of-force reports (several towns, years and force types,
with small cells on purpose), and an independent count of what the portal should show.

The count is written here from the report bodies, without the portal's code.
"""

from __future__ import annotations

import random
from collections import Counter

TOWNS = {  # town: reports per year (a small town has tiny and empty years)
    "Hartford": (22, 30, 26, 35),
    "New Haven": (18, 15, 24, 20),
    "Bridgeport": (9, 12, 7, 11),
    "Stamford": (6, 3, 8, 5),
    "Canaan": (1, 0, 2, 0),
}
YEARS = (2022, 2023, 2024, 2025)
FORCES = ("strike", "oc_spray", "cew", "pointing_firearm_launcher_cew", "k9", "firearm_discharge")
FORCE_WEIGHTS = (40, 20, 25, 30, 4, 1)
RACES = ("white", "Black", "asian", "american indian", "unknown", "White ")
RACE_WEIGHTS = (40, 35, 6, 2, 8, 6)
GENDERS = ("male", "female", "nonbinary")
GENDER_WEIGHTS = (75, 23, 2)


def reports(seed: int = 15, towns: dict | None = None) -> list[dict]:
    rng = random.Random(seed)
    out, n = [], 0
    for town, per_year in (towns or TOWNS).items():
        for year, how_many in zip(YEARS, per_year, strict=True):
            for _ in range(how_many):
                n += 1
                month, day, hour = rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 22)
                forces = sorted(set(rng.choices(FORCES, FORCE_WEIGHTS, k=rng.choice((1, 1, 2)))))
                subjects = []
                for _ in range(rng.choice((1, 1, 1, 2))):
                    subjects.append(
                        {
                            "role": "subject",
                            "name": f"Person {n}-{len(subjects)}",
                            "identifier": f"DOB-{n:04d}",
                            "race": rng.choices(RACES, RACE_WEIGHTS)[0],
                            "gender": rng.choices(GENDERS, GENDER_WEIGHTS)[0],
                            "age_group": rng.choice(("18_24", "25_34", "35_44", "45_54")),
                            "injured": rng.random() < 0.3,
                            "force_types": sorted(set(rng.choices(FORCES, FORCE_WEIGHTS, k=1))),
                        }
                    )
                if rng.random() < 0.2:  # a witness is on the report but not counted
                    subjects.append({"role": "witness", "name": f"Witness {n}", "race": "white"})
                out.append(
                    {
                        "number": f"UOF-{year}-{n:04d}",
                        "incident_start": f"{year}-{month:02d}-{day:02d}T{hour:02d}:00:00+00:00",
                        "incident_end": f"{year}-{month:02d}-{day:02d}T{hour:02d}:40:00+00:00",
                        "town": town,
                        "location": f"{n} Main Street",
                        "description": f"Officer B{1000 + n} used force on Person {n}-0",
                        "officers": [f"B{1000 + n}"],
                        "force_types": forces,
                        "subjects": subjects,
                    }
                )
    return out


def _key(text: str) -> str:
    return " ".join(text.split()).lower() or "unknown"


def expected(bodies: list[dict]) -> Counter:
    """(area, table, row) -> count, 'Statewide' for the whole state, as the test reads the rules."""
    c: Counter = Counter()
    for body in bodies:
        people = [p for p in body["subjects"] if p.get("role", "subject") == "subject"]
        used = set(body["force_types"]).union(*(p.get("force_types", []) for p in people))
        for area in (body["town"], "Statewide"):
            c[(area, "by-year", body["incident_start"][:4])] += 1
            c[(area, "by-year", "total")] += 1
            c[(area, "injury", "injured" if any(p["injured"] for p in people) else "not_injured")] += 1
            c[(area, "injury", "total")] += 1
            for f in used:
                c[(area, "by-force-type", f)] += 1
            for p in people:
                c[(area, "by-race", _key(p["race"]))] += 1
                c[(area, "by-gender", _key(p["gender"]))] += 1
                c[(area, "by-race", "total")] += 1
                c[(area, "by-gender", "total")] += 1
    return c
