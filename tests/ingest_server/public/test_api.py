"""GET /api/v1/reporting/stats beside the public pages, over the generated reports:
the same cells with the same numbers, hidden the same, nothing hidden that the
pages and every year of the API together give away; signed in and audited."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from ingest_server.auth import service as auth_service
from tests.ingest_server.public import dataset
from tests.ingest_server.public.attack import STATE, attack
from tests.ingest_server.public.test_portal import MIN, get, pages, published

BREAKDOWNS = {"by_race": "by-race", "by_gender": "by-gender", "by_force_type": "by-force-type"}


@pytest.fixture(scope="module")
def readers(portal):
    _, ctx, _ = portal
    tokens = {}
    with ctx.sessions() as session:
        for role in ("trooper", "auditor"):
            _, token = auth_service.create_user(
                session=session, username=f"{role}-stats", role=role, officer_id=None, actor="test"
            )
            tokens[role] = {"Authorization": f"Bearer {token}"}
    return tokens


def _api(client, readers, year: int) -> dict:
    answer = client.get("/api/v1/reporting/stats", params={"year": year}, headers=readers["trooper"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def _by_year_truth(bodies) -> Counter:
    """(year, breakdown, row) -> count, statewide, counted here from the report bodies."""
    c: Counter = Counter()
    for body in bodies:
        year = body["incident_start"][:4]
        people = [p for p in body["subjects"] if p.get("role", "subject") == "subject"]
        c[(year, "reports", "total")] += 1
        c[(year, "by_town", body["town"])] += 1
        for force in set(body["force_types"]).union(*(p.get("force_types", []) for p in people)):
            c[(year, "by_force_type", force)] += 1
        for p in people:
            c[(year, "by_race", " ".join(p["race"].split()).lower())] += 1
            c[(year, "by_gender", p["gender"].lower())] += 1
            c[(year, "persons", "total")] += 1
    return c


def _town_pages(client) -> dict:
    """town -> its page's JSON download, and the statewide one under STATE."""
    out = {}
    for area, (_, stem) in pages(client).items():
        out[area] = {
            (r["table"], r["row"]): r["value"]
            for r in json.loads(get(client, f"/public/data/{stem}.json").text)["rows"]
        }
    return out


def test_the_api_and_the_pages_agree_cell_for_cell(portal, readers):
    client, _, bodies = portal
    truth = _by_year_truth(bodies)
    downloads = _town_pages(client)
    state = downloads[STATE]
    for year in map(str, dataset.YEARS):
        api = _api(client, readers, int(year))
        assert (
            api["min_count"] == MIN
            and api["rule"] == "Counts below 5 are not shown, so that no one can be identified."
        )
        # The year's reports and each town's: the very cells of the pages, hidden or shown alike.
        assert api["reports"] == state[("by-year", year)]
        by_town = {r["value"]: r["count"] for r in api["by_town"]}
        assert sorted(by_town) == sorted(dataset.TOWNS)  # every town listed, a year without reports too
        for town, value in by_town.items():
            assert value == downloads[town][("by-year", year)] == state[("by-town", f"{town}/{year}")], (
                town,
                year,
            )
        # Every number the API shows is the test's own count; every count below 5 is hidden.
        for breakdown in ("by_town", *BREAKDOWNS):
            for row in api[breakdown]:
                n = truth[(year, breakdown, row["value"])]
                assert row["count"] in (None, n), (year, breakdown, row)
                assert n >= MIN or row["count"] is None, (year, breakdown, row)
                assert row["display"] == ("not shown" if row["count"] is None else str(n))
        for total in ("reports", "persons"):
            assert api[total] in (None, truth[(year, total, "total")])
        # The API lists the same rows as the pages, so a missing row never says zero.
        for breakdown, table in BREAKDOWNS.items():
            assert [r["value"] for r in api[breakdown]] == [
                row for t, row in state if t == table and row != "total"
            ]


def test_nothing_hidden_can_be_worked_out_from_the_pages_and_every_year_of_the_api(portal, readers):
    client, _, bodies = portal
    cells, changes, shares = published(client)
    years = [str(y) for y in dataset.YEARS]
    answers = {y: _api(client, readers, int(y)) for y in years}
    more = []
    for y, api in answers.items():
        cells[(STATE, f"api-persons/{y}", "total")] = api["persons"]
        for breakdown, table in BREAKDOWNS.items():
            for row in api[breakdown]:
                cells[(STATE, f"api-{table}/{y}", row["value"])] = row["count"]
        for table in ("by-race", "by-gender"):  # a year's people, by race and by gender
            parts = [c for c in cells if c[:2] == (STATE, f"api-{table}/{y}")]
            more.append((parts, (STATE, f"api-persons/{y}", "total")))
    for table in ("by-race", "by-gender", "by-force-type"):  # the years of a row add up to the row
        for row in {c[2] for c in cells if c[1].startswith(f"api-{table}/")}:
            more.append(([(STATE, f"api-{table}/{y}", row) for y in years], (STATE, table, row)))
    more.append(([(STATE, f"api-persons/{y}", "total") for y in years], (STATE, "by-race", "total")))
    assert attack(cells, changes, shares, more=more) == {}
    # The check has teeth: each year suppressed on its own (small counts only) gives counts away.
    truth = _by_year_truth(bodies)
    alone = dict(cells)
    for area, table, row in cells:
        if table.startswith("api-"):
            kind, year = table.removeprefix("api-").split("/")
            n = truth[(year, "persons" if kind == "persons" else kind.replace("-", "_"), row)]
            alone[(area, table, row)] = None if n < MIN else n
    assert attack(alone, changes, shares, more=more)


def test_signed_in_with_stats_read_only_and_audited(portal, readers):
    client, ctx, _ = portal
    assert client.get("/api/v1/reporting/stats?year=2025").status_code == 401
    with ctx.sessions() as session:
        _, device = auth_service.enroll_device(
            session=session, name="car-stats", vehicle_id="V99", actor="test"
        )
    refused = client.get("/api/v1/reporting/stats?year=2025", headers={"Authorization": f"Bearer {device}"})
    assert refused.status_code == 403
    assert client.get("/api/v1/reporting/stats?year=2025", headers=readers["auditor"]).status_code == 200
    with ctx.sessions() as session:
        events = (
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.event_type == "api.reporting.stats")
                .order_by(AuditEvent.seq)
            )
            .scalars()
            .all()
        )
    assert [e.outcome for e in events[-3:]] == ["unauthenticated", "denied", "success"]
    assert events[-1].actor == "user:auditor-stats"
