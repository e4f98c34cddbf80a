"""Public use-of-force statistics by town, race, gender and force type, with small
counts suppressed so that a count cannot point at a person.

Pure. Counts persons subjected to force (role `subject`, one POSTC form each); a
count below `min_count` is shown as suppressed (None, with "<N"), never as its
value. Town totals are counted per report. With one cell suppressed in a
dimension, the next smallest is suppressed too, so the hidden value cannot be
recovered from the total (complementary suppression).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ingest_server.reporting.opm import ReportRecord

DEFAULT_MIN_COUNT = 5


def _suppress(counts: Counter, min_count: int) -> list[dict]:
    small = {k for k, v in counts.items() if v < min_count}
    if len(small) == 1 and len(counts) > 1:
        others = sorted((v, k) for k, v in counts.items() if k not in small)
        small.add(others[0][1])
    return [
        {
            "value": key,
            "count": None if key in small else counts[key],
            "display": f"<{min_count}"
            if key in small and counts[key] < min_count
            else ("suppressed" if key in small else str(counts[key])),
        }
        for key in sorted(counts)
    ]


def public_stats(records: Iterable[ReportRecord], *, min_count: int = DEFAULT_MIN_COUNT) -> dict:
    towns, races, genders, forces = Counter(), Counter(), Counter(), Counter()
    reports = 0
    for record in records:
        reports += 1
        towns[record.town] += 1
        subjects = [p for p in record.subjects if p.get("role", "subject") == "subject"]
        for person in subjects:
            races[person.get("race") or "unknown"] += 1
            genders[person.get("gender") or "unknown"] += 1
            for force in person.get("force_types") or record.force_types:
                forces[force] += 1
        if not subjects:
            for force in record.force_types:
                forces[force] += 1
    return {
        "reports": reports,
        "min_count": min_count,
        "by_town": _suppress(towns, min_count),
        "by_race": _suppress(races, min_count),
        "by_gender": _suppress(genders, min_count),
        "by_force_type": _suppress(forces, min_count),
    }
