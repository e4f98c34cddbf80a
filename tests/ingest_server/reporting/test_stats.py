"""GET /api/v1/reporting/stats: a reader who subtracts, or who sets one answer beside
another (another year, the public pages, another minimum), learns no hidden count.

Each test stores a handful of reports through the report API, reads the endpoint
as a trooper (any role with `stats.read`), and works out what a reader could."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ingest_server.public import service as public_service
from tests.ingest_server.records_helpers import NullStore, report_body

# The server's clock travels years here (reports from 2023): on moto, see the time_travel marker.
pytestmark = pytest.mark.time_travel

MIN = 5  # the public rule: counts below 5 are not shown
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _store(client, custodian, reports: list[tuple[int, str, str]]) -> None:
    """reports: (year, town, race) of one person subjected to force each."""
    for n, (year, town, race) in enumerate(reports):
        start = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=n % 300, hours=1)
        subject = {"role": "subject", "name": f"Person {n}", "race": race, "gender": "male"}
        body = report_body(
            f"UOF-{year}-{n:04d}", start, start + timedelta(minutes=20), town=town, subjects=[subject]
        )
        answer = client.post("/api/v1/reports", headers=custodian, json=body)
        assert answer.status_code == 201, answer.text


def _stats(client, people, year: int, **query) -> dict:
    answer = client.get(
        "/api/v1/reporting/stats", params={"year": year, **query}, headers=people.auth("trooper")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _counts(stats: dict, breakdown: str) -> dict:
    return {row["value"]: row["count"] for row in stats[breakdown]}


def _worked_out(total: int | None, rows: dict) -> dict:
    """What subtraction gives: a lone hidden row's count, or the small sum of several."""
    hidden = [k for k, v in rows.items() if v is None]
    if total is None or not hidden:
        return {}
    rest = total - sum(v for v in rows.values() if v is not None)
    if len(hidden) == 1:
        return {hidden[0]: rest}
    return {tuple(hidden): rest} if rest < MIN else {}


@pytest.fixture
def setup(client, ctx, people, clock):
    ctx.storage = NullStore()
    clock.set(NOW)
    return client, people.auth("custodian")


def test_no_hidden_count_is_the_total_minus_the_shown_ones(setup, people):
    """Leak 1, complementary suppression missing: two small towns hidden, the rest and the
    total shown, so the two together are a small count (and, each listed, one each)."""
    client, custodian = setup
    towns = ["Hartford"] * 9 + ["New Haven"] * 8 + ["Canaan", "Salisbury"]
    races = ["white"] * 10 + ["black"] * 7 + ["asian", "american indian"]
    _store(client, custodian, [(2025, t, r) for t, r in zip(towns, races, strict=True)])
    stats = _stats(client, people, 2025)
    by_town, by_race = _counts(stats, "by_town"), _counts(stats, "by_race")
    assert by_town["Canaan"] is None and by_race["asian"] is None  # the small ones are hidden
    genders = _counts(stats, "by_gender")
    people_total = None if None in genders.values() else sum(genders.values())
    assert _worked_out(stats["reports"], by_town) == {}
    assert _worked_out(people_total, by_race) == {}


def test_a_year_beside_the_public_pages_gives_no_hidden_count(setup, people, ctx):
    """Leak 2, differencing overlapping ranges: the pages show all years, the endpoint
    each year; the years shown, taken from all years, must not leave a hidden one."""
    client, custodian = setup
    asian = {2023: 5, 2024: 6, 2025: 2}
    reports = []
    for year, n in asian.items():
        reports += [(year, "Hartford", "asian")] * n + [(year, "Hartford", "white")] * 12
        reports += [(year, "Hartford", "black")] * 9
    _store(client, custodian, reports)
    with ctx.sessions() as session:
        built = public_service.build(session=session, now=NOW)
    page = json.loads(built.files["data/statewide.json"])
    all_years = next(r["value"] for r in page["rows"] if r["table"] == "by-race" and r["row"] == "asian")
    per_year = {year: _counts(_stats(client, people, year), "by_race")["asian"] for year in asian}
    assert per_year[2025] is None  # 2 is hidden
    learned = _worked_out(all_years, per_year)
    assert learned == {}, f"all years minus the years shown gives {learned}"


def test_the_minimum_is_the_public_rule_not_the_callers_choice(setup, people):
    """Leak 2, differencing filters: a lower (or another) minimum would show what the pages hide."""
    client, custodian = setup
    _store(client, custodian, [(2025, "Hartford", "white")] * 9 + [(2025, "Canaan", "white")] * 3)
    assert _counts(_stats(client, people, 2025), "by_town")["Canaan"] is None
    for other in (2, 6):
        answer = client.get(
            "/api/v1/reporting/stats",
            params={"year": 2025, "min_count": other},
            headers=people.auth("trooper"),
        )
        assert answer.status_code == 422, answer.text
        assert "5" in answer.json()["detail"]
