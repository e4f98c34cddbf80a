"""The public portal in Debian's headless Chromium (Playwright), as an anonymous reader.

Served: the real server (uvicorn on 127.0.0.1) with the generated reports stored
through the report API; overview and a town page at desktop (1280) and phone (390)
width, screenshots in test-artifacts/screenshots/, axe-core (the copy bundled in
the axe-playwright-python wheel, nothing from a CDN) with no serious or critical
violation, no cookie, every request to the server itself.

Static: the files of `reports publish` opened from disk (file://): every chart
drawn, every download saved with the published bytes, no request anywhere else.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ingest_server import migrate
from ingest_server.app import build_context, create_app
from ingest_server.audit.models import AuditEvent
from ingest_server.auth import service as auth_service
from ingest_server.public import service, site
from tests.ingest_server.public import dataset
from tests.ingest_server.public.conftest import NOW, make_settings
from tests.portal.test_browser import ARGS, SHOTS, chromium  # noqa: F401 (the fixture)
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.slow
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def server(tmp_path_factory, s3_endpoint):
    tmp = tmp_path_factory.mktemp("public-browser")
    settings = make_settings(tmp, s3_endpoint)
    migrate.upgrade(settings.db_url)
    ctx = build_context(settings, clock=lambda: NOW)
    with ctx.sessions() as session:
        _, token = auth_service.create_user(
            session=session, username="custodian1", role="custodian", officer_id=None, actor="test"
        )
    live = LiveServer(create_app(context=ctx), "uvicorn-public")
    base = live.start()
    with httpx.Client(base_url=base, timeout=60) as http:
        for body in dataset.reports():
            answer = http.post("/api/v1/reports", headers={"Authorization": f"Bearer {token}"}, json=body)
            assert answer.status_code == 201, answer.text
    yield base, ctx
    live.stop()
    ctx.engine.dispose()


def _shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"public-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _axe(page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING]


def _charts_drawn(page) -> None:
    charts = page.locator("svg.chart")
    assert charts.count() == 5
    for i in range(5):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 50


def test_overview_and_town_page_anonymously_at_desktop_and_phone_width(chromium, server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    base, ctx = server
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            for name, viewport in VIEWPORTS.items():
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                page.on("request", lambda r: requests.append(r.url))
                errors: list[str] = []
                page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
                first = page.goto(f"{base}/public/")
                assert first.status == 200 and "set-cookie" not in first.headers
                assert page.locator("h1").inner_text() == "Use of force statewide"
                assert "Counts below 5 are not shown, so that no one can be identified." in page.inner_text(
                    "#rule"
                )
                assert page.inner_text("#data-date") == "2026-12-01"
                assert page.inner_text("#stats-policy") and page.inner_text("#retention-policy")
                _charts_drawn(page)
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                _shot(page, f"overview-{name}")
                assert _axe(page) == []

                page.click("#table-towns a:has-text('Hartford')")
                page.wait_for_url("**/public/towns/hartford.html")
                assert page.locator("h1").inner_text() == "Use of force in Hartford"
                _charts_drawn(page)
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                _shot(page, f"hartford-{name}")
                assert _axe(page) == []
                page.goto(f"{base}/public/towns/stamford.html")  # a town with many hidden counts
                _charts_drawn(page)
                assert page.locator("td.hidden").count() > 5
                _shot(page, f"stamford-{name}")
                assert _axe(page) == []
                assert context.cookies() == [] and errors == []
                context.close()
        finally:
            browser.close()
    assert requests and all(u.startswith(f"{base}/public/") for u in requests), requests
    with ctx.sessions() as session:
        events = session.execute(
            select(AuditEvent).where(AuditEvent.event_type.like("api.public.%"))
        ).scalars()
        paths = [json.loads(e.detail)["path"] for e in events]
    assert paths.count("/public/") == 2 and paths.count("/public/towns/hartford.html") == 2


def test_static_export_works_from_disk_with_no_other_request(chromium, server, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    _, ctx = server
    with ctx.sessions() as session:
        built = service.build(session=session, now=NOW)
    out = tmp_path / "portal"
    site.write(built, out)
    root = out.resolve().as_uri()
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORTS["desktop"], accept_downloads=True)
            context.on("request", lambda r: requests.append(r.url))
            page = context.new_page()
            page.goto(f"{root}/index.html")
            _charts_drawn(page)
            assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")  # css
            pages = ["index.html"] + [f"towns/{t}" for t in sorted(p.name for p in (out / "towns").iterdir())]
            for rel in pages:
                page.goto(f"{root}/{rel}")
                _charts_drawn(page)
                stem = "statewide" if rel == "index.html" else Path(rel).stem
                # from file:// Chromium saves the CSV and shows the JSON (the download attribute is
                # ignored for local files): both give the reader the published bytes
                with page.expect_download() as info:
                    page.click("p.period a:has-text('CSV')")
                assert Path(info.value.path()).read_bytes() == built.files[f"data/{stem}.csv"], rel
                page.click("p.period a:has-text('JSON')")
                page.wait_for_url(f"{root}/data/{stem}.json")
                assert json.loads(page.inner_text("pre")) == json.loads(built.files[f"data/{stem}.json"]), rel
            page.goto(f"{root}/towns/canaan.html")
            page.click("text=Back to the statewide figures")
            assert page.url == f"{root}/index.html"
            page.click("header nav a:has-text('Data dictionary')")
            assert page.locator("h1").inner_text() == "Data dictionary"
            _shot(page, "static-dictionary")
            with page.expect_download() as info:
                page.click("a:has-text('data-dictionary.csv')")
            assert Path(info.value.path()).read_bytes() == built.files["data/data-dictionary.csv"]
            context.close()
        finally:
            browser.close()
    assert requests and all(u.startswith(root + "/") for u in requests), [
        u for u in requests if not u.startswith(root)
    ]
