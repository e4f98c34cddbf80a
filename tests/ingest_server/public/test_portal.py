"""The public portal at /public/ over a generated set of reports stored through the
report API: every number equals the test's own count, every small count is hidden,
nothing hidden can be worked out, nothing identifies anyone; no cookie, audited,
rate-limited, off unless enabled."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ingest_server import migrate
from ingest_server.app import build_context, create_app
from ingest_server.audit.models import AuditEvent
from ingest_server.public import site
from ingest_server.reporting.opm import ReportRecord
from ingest_server.reports.schemas import ReportCreate
from tests.ingest_server.public import dataset
from tests.ingest_server.public.attack import attack, naive
from tests.ingest_server.public.conftest import NOW, make_settings
from tests.ingest_server.public.reading import csv_rows, number, read

MIN = 5
TABLES = ("by-year", "by-force-type", "by-race", "by-gender", "injury")


def slug(town: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", town.lower()).strip("-")


def pages(client) -> dict[str, tuple[str, str]]:
    """area -> (page path, download stem)."""
    out = {"Statewide": ("/public/", "statewide")}
    for town in dataset.TOWNS:
        out[town] = (f"/public/towns/{slug(town)}.html", slug(town))
    return out


def get(client, path):
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:200])
    assert "set-cookie" not in answer.headers
    return answer


def published(client) -> tuple[dict, dict, dict]:
    """What the pages show, read from their HTML: cells, year changes, injury shares."""
    cells, changes, shares = {}, {}, {}
    for area, (path, stem) in pages(client).items():
        page = read(get(client, path).text)
        for table in TABLES:
            for row, texts in page.tables[table].items():
                cells[(area, table, row)] = number(texts[1])
                if table == "by-year" and row != "total" and texts[2]:
                    changes[(area, row)] = number(texts[2])
        data = json.loads(get(client, f"/public/data/{stem}.json").text)
        share = [r for r in data["rows"] if r["table"] == "injury-share"]
        shares[area] = share[0]["value"]
    return cells, changes, shares


def test_every_number_equals_an_independent_count_and_small_ones_are_hidden(portal):
    client, _, bodies = portal
    expected = dataset.expected(bodies)
    cells, changes, shares = published(client)
    assert len(cells) == 6 * (5 + 6 + 6 + 4 + 3)  # 6 pages; years+total, forces, races+total, ...
    # genders+total, injury rows+total
    for cell, shown in cells.items():
        truth = expected[cell]
        if truth < MIN:
            assert shown is None, f"{cell} is {truth}, below {MIN}, and is shown"
        else:
            assert shown in (None, truth), f"{cell}: page says {shown}, the reports say {truth}"
    hidden = [c for c, v in cells.items() if v is None]
    complementary = [c for c in hidden if expected[c] >= MIN]
    assert hidden and complementary  # the data set has small cells, and they needed protection
    shown = [c for c, v in cells.items() if v is not None]
    assert len(shown) >= 60  # most of the figures of the big towns and the state stay readable
    # every year on record is a row of every page, even a year without a report in a town
    for area in pages(client):
        years = [r for (a, t, r) in cells if a == area and t == "by-year" and r != "total"]
        assert years == ["2022", "2023", "2024", "2025"]
    assert ("Canaan", "by-year", "2023") in cells and expected[("Canaan", "by-year", "2023")] == 0
    # the change from the year before, and the share, only when made of shown numbers
    for (area, year), change in changes.items():
        before, now = cells[(area, "by-year", str(int(year) - 1))], cells[(area, "by-year", year)]
        assert change == (now - before if None not in (now, before) else None)
    for area, share in shares.items():
        injured, total = cells[(area, "injury", "injured")], cells[(area, "by-year", "total")]
        assert share == (round(100 * injured / total, 1) if None not in (injured, total) else None)
    assert shares["Statewide"] is not None and shares["Canaan"] is None
    # the overview's town-by-year table shows the very cells of each town's page
    overview = read(get(client, "/public/").text).tables["towns"]
    assert set(overview) == {slug(t) for t in dataset.TOWNS}
    for town in dataset.TOWNS:
        years = ["2022", "2023", "2024", "2025", "total"]
        assert [number(t) for t in overview[slug(town)][1:]] == [cells[(town, "by-year", y)] for y in years]


def test_charts_draw_the_same_numbers_as_the_tables(portal):
    client, _, bodies = portal
    for _area, (path, _) in pages(client).items():
        page = read(get(client, path).text)
        for table in ("by-year", "by-force-type", "by-race", "by-gender"):
            rows = {r: t for r, t in page.tables[table].items() if r != "total"}
            marks = page.marks[table]
            assert set(marks) == set(rows)
            for row, texts in rows.items():
                value = number(texts[1])
                assert marks[row] == (None if value is None else str(value)), (path, table, row)
        injury = page.marks["injury"]["injured"]
        caption_share = re.search(r"([\d.]+)% with an injury", get(client, path).text)
        assert (injury is None) == (caption_share is None)
        if injury is not None:
            assert injury == caption_share.group(1).rstrip("0").rstrip(".") or float(injury) == float(
                caption_share.group(1)
            )


def test_downloads_are_exactly_what_the_page_shows(portal):
    client, _, _ = portal
    cells, changes, shares = published(client)
    for area, (_, stem) in pages(client).items():
        answer = get(client, f"/public/data/{stem}.csv")
        assert answer.headers["content-type"].startswith("text/csv")
        rows = csv_rows(answer.text)
        data = json.loads(get(client, f"/public/data/{stem}.json").text)
        assert data["area"] == area and data["min_count"] == MIN and data["data_as_of"] == "2026-12-01"
        assert data["retention_policy_version"] and data["stats_policy_version"]
        assert [{**r, "value": "" if r["value"] is None else str(r["value"])} for r in data["rows"]] == rows
        from_csv, by_town = {}, 0
        for r in rows:
            assert r["status"] in ("shown", "not shown") and (r["value"] == "") == (
                r["status"] == "not shown"
            )
            value = None if r["value"] == "" else float(r["value"])
            if r["table"] in TABLES:
                from_csv[(area, r["table"], r["row"])] = value
            elif r["table"] == "year-change":
                assert value == changes[(area, r["row"])]
            elif r["table"] == "by-town":
                assert area == "Statewide"
                town, year = r["row"].split("/")
                assert value == cells[(town, "by-year", year)]
                by_town += 1
            else:
                assert r["table"] == "injury-share" and value == shares[area]
        assert from_csv == {c: v for c, v in cells.items() if c[0] == area}
        assert by_town == (5 * len(dataset.TOWNS) if area == "Statewide" else 0)
    dictionary = get(client, "/public/data-dictionary.html").text
    for column in ("area", "table", "row", "label", "value", "status", "unit"):
        assert f"<code>{column}</code>" in dictionary
    assert "Counts below 5 are not shown" in dictionary
    assert csv_rows(get(client, "/public/data/data-dictionary.csv").text)


def test_no_hidden_count_can_be_worked_out_from_totals_years_or_other_pages(portal):
    client, _, bodies = portal
    cells, changes, shares = published(client)
    assert attack(cells, changes, shares) == {}
    # The same attacker against a portal that hides only the small counts gets them back:
    truth = dataset.expected(bodies)
    plain = naive({c: truth[c] for c in cells})
    recovered = attack(plain)
    assert recovered and all(truth[c] == v for c, v in recovered.items() if c[0] != "sum")
    assert any(truth[c] < MIN for c in recovered if c[0] != "sum")


@pytest.mark.parametrize("seed", [1, 2, 4, 8, 13, 22])
def test_the_attacker_also_fails_on_other_generated_sets(seed):
    """Other towns and sizes (empty and tiny years, 2 to 6 towns), built without the server."""
    rng = random.Random(seed)
    towns = {
        f"Town {i}": tuple(rng.choice((0, 1, 2, 3, 4, 6, 9, 15, 30)) for _ in range(4))
        for i in range(rng.randint(2, 6))
    }
    bodies = dataset.reports(seed, towns)
    records = [_as_record(ReportCreate.model_validate(b)) for b in bodies]
    built = site.build(records, now=NOW, retention_policy_version="v1")
    cells, changes, shares = {}, {}, {}
    for path, body in built.files.items():
        if (
            path.startswith("data/")
            and path.endswith(".json")
            and path.count("/") == 1
            and "index" not in path
        ):
            data = json.loads(body)
            if "rows" not in data:
                continue
            for r in data["rows"]:
                if r["table"] in TABLES:
                    cells[(data["area"], r["table"], r["row"])] = r["value"]
                elif r["table"] == "year-change":
                    changes[(data["area"], r["row"])] = r["value"]
                elif r["table"] == "injury-share":
                    shares[data["area"]] = r["value"]
    truth = dataset.expected(bodies)
    assert all(v is None for c, v in cells.items() if truth[c] < MIN)
    assert all(v in (None, truth[c]) for c, v in cells.items())
    assert attack(cells, changes, shares) == {}


def _as_record(r: ReportCreate) -> ReportRecord:
    return ReportRecord(
        number=r.number,
        incident_start=r.incident_start.astimezone(UTC).isoformat(),
        incident_end=r.incident_end.astimezone(UTC).isoformat(),
        town=r.town,
        location=r.location,
        description=r.description,
        status=r.status.value,
        closed_at="",
        officers=tuple(r.officers),
        vehicles=tuple(r.vehicles),
        force_types=tuple(f.value for f in r.force_types),
        inspector_general=r.inspector_general,
        subjects=tuple(s.model_dump(mode="json") for s in r.subjects),
    )


def test_nothing_on_any_page_identifies_a_person_an_officer_or_a_report(portal):
    client, ctx, bodies = portal
    files = service_files(ctx)
    text = "\n".join(body.decode() for body in files.values())
    for body in bodies:
        assert body["number"] not in text
        for officer in body["officers"]:
            assert officer not in text
        assert body["location"] not in text
        for person in body["subjects"]:
            assert person["name"] not in text and person.get("identifier", "DOB-x") not in text


def service_files(ctx) -> dict[str, bytes]:
    from ingest_server.public import service

    with ctx.sessions() as session:
        return service.build(session=session, now=NOW).files


def test_every_file_is_served_anonymously_audited_no_cookie_no_outside_request(portal):
    client, ctx, _ = portal
    files = service_files(ctx)
    with ctx.sessions() as session:
        before = session.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)).scalar()
    for path, body in files.items():
        answer = get(client, f"/public/{path}")
        assert answer.content == body
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["referrer-policy"] == "no-referrer"
        if path.endswith(".html"):
            page = read(answer.text)
            assert "<script" not in answer.text
            for link in page.links:  # relative links only: no other host, nothing from the site root
                assert not re.match(r"^(https?:)?//|^/", link), (path, link)
    with ctx.sessions() as session:
        events = (
            session.execute(select(AuditEvent).where(AuditEvent.seq > before).order_by(AuditEvent.seq))
            .scalars()
            .all()
        )
    served = [json.loads(e.detail)["path"] for e in events if e.event_type == "api.public.file"]
    assert sorted(served) == sorted(f"/public/{p}" for p in files)
    assert {e.actor for e in events} == {"anonymous"} and {e.outcome for e in events} == {"success"}
    missing = client.get("/public/towns/nowhere.html")
    assert (
        missing.status_code == 404 and "no such page" in missing.text and "set-cookie" not in missing.headers
    )


def test_too_many_requests_from_one_address_get_429_and_are_audited(tmp_path, s3_endpoint):
    settings = make_settings(tmp_path, s3_endpoint)
    migrate.upgrade(settings.db_url)
    ctx = build_context(settings, clock=lambda: NOW)
    app = create_app(context=ctx)
    from ingest_server.shares.limiter import GuessLimiter

    app.state.public_limiter = GuessLimiter(max_failures=3, clock=ctx.clock)
    with TestClient(app) as client:
        assert [client.get("/public/").status_code for _ in range(3)] == [200, 200, 200]
        refused = client.get("/public/data-dictionary.html")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert "too many requests" in refused.text and "set-cookie" not in refused.headers
    with ctx.sessions() as session:
        last = session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
    assert last.event_type == "api.public.file" and last.outcome == "rejected" and last.actor == "anonymous"
    ctx.engine.dispose()


def test_off_unless_enabled(tmp_path, s3_endpoint):
    settings = make_settings(tmp_path, s3_endpoint, public_portal=False)
    migrate.upgrade(settings.db_url)
    ctx = build_context(settings)
    with TestClient(create_app(context=ctx)) as client:
        for path in ("/public/", "/public/index.html", "/public/data/statewide.csv"):
            answer = client.get(path)
            assert answer.status_code == 404 and "not enabled" in answer.text
    ctx.engine.dispose()


def _record(town: str, race: str, n: int) -> ReportRecord:
    return ReportRecord(
        number=f"R{n}",
        incident_start="2025-03-01T10:00:00Z",
        incident_end="2025-03-01T10:30:00Z",
        town=town,
        location="",
        description="",
        status="open",
        closed_at="",
        officers=(),
        vehicles=(),
        force_types=("strike",),
        inspector_general=False,
        subjects=({"role": "subject", "race": race, "gender": "male"},),
    )


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    hostile = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
    records = [_record(hostile[i % 6], hostile[(i + 1) % 6], i) for i in range(60)]
    built = site.build(records, now=datetime(2026, 12, 1, tzinfo=UTC), retention_policy_version="v1")
    for path, body in built.files.items():
        if not path.endswith(".csv"):
            continue
        for row in csv_rows(body.decode()):
            for value in row.values():
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (path, value)
    statewide = csv_rows(built.files["data/statewide.csv"].decode())
    assert {'\'=hyperlink("http://x")', "'+1+1", "'@sum(a1)"} <= {r["row"] for r in statewide}
    html = built.files["index.html"].decode()
    assert "=HYPERLINK(&#34;http://x&#34;)" in html or "=HYPERLINK(&quot;http://x&quot;)" in html


def test_pages_follow_the_reports_as_they_are_stored(tmp_path, s3_endpoint):
    from ingest_server.auth import service as auth_service
    from tests.ingest_server.public.conftest import store_reports

    settings = make_settings(tmp_path, s3_endpoint)
    migrate.upgrade(settings.db_url)
    ctx = build_context(settings, clock=lambda: NOW)
    with ctx.sessions() as session:
        _, token = auth_service.create_user(
            session=session, username="c1", role="custodian", officer_id=None, actor="t"
        )
    with TestClient(create_app(context=ctx)) as client:
        empty = client.get("/public/")
        assert empty.status_code == 200 and "No reports on record yet." in empty.text
        bodies = dataset.reports(3, {"Groton": (6, 0, 0, 7)})
        store_reports(client, token, bodies)
        page = read(client.get("/public/").text)
        assert number(page.tables["by-year"]["total"][1]) == 13
        assert list(page.tables["by-year"]) == ["2022", "2023", "2024", "2025", "total"]
        # two empty years (hidden) would sum to a known 0: 2022 (6) is hidden with them, 2025 is shown
        years = {y: number(page.tables["by-year"][y][1]) for y in ("2022", "2023", "2024", "2025")}
        assert years == {"2022": None, "2023": None, "2024": None, "2025": 7}
        town = read(client.get("/public/towns/groton.html").text)
        assert number(town.tables["by-year"]["2025"][1]) == 7
    ctx.engine.dispose()
