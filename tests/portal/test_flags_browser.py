"""In a real browser (Debian's Chromium through Playwright): the console clip page of
a truncated real H.264 clip shows the flag (screenshot in
test-artifacts/screenshots/flags-01-truncated-clip.png), and the review page at
phone width keeps each SHA-256 to at most three lines (was ten)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from edge_agent.core.media_probe import probe_clip
from edge_agent.simulator import encode_clip
from ingest_server import migrate
from ingest_server.app import build_context, create_app
from ingest_server.auth import service as auth_service
from ingest_server.portal import signin
from ingest_server.settings import Settings
from ingest_server.types import utcnow
from tests.ingest_server import helpers
from tests.portal.conftest import PASSWORD
from tests.portal.test_browser import ARGS, SHOTS, chromium  # noqa: F401 (the fixture)
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def truncated_stack(tmp_path_factory, s3_endpoint):
    tmp = tmp_path_factory.mktemp("flags")
    settings = Settings(
        data_dir=tmp / "data",
        database_url=f"sqlite:///{tmp / 'evidence.sqlite3'}",
        s3_endpoint_url=s3_endpoint,
        s3_bucket=f"flags-{uuid.uuid4().hex[:12]}",
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    migrate.upgrade(settings.db_url)
    ctx = build_context(settings)
    with ctx.sessions() as session:
        auth_service.create_user(
            session=session, username="custodian1", role="custodian", officer_id=None, actor="test"
        )
        signin.set_password(
            session=session, username="custodian1", password=PASSWORD, actor="test", now=utcnow()
        )
        _, device = auth_service.enroll_device(session=session, name="car-17", vehicle_id="V17", actor="test")
    whole = tmp / "DASH0009.MP4"
    encode_clip(whole, 4, width=320, height=240, fps=25, bitrate=300_000, seed=3)
    cut = tmp / "cut.MP4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # the battery died mid-write
    probe = probe_clip(cut)
    assert "truncated" in probe.flags  # the agent's own probe flags it
    live = LiveServer(create_app(context=ctx), "uvicorn-flags")
    base = live.start()
    with httpx.Client(base_url=base, timeout=60) as http:
        reg, _ = helpers.upload(
            http,
            {"Authorization": f"Bearer {device}"},
            cut.read_bytes(),
            original_name="DASH0009.MP4",
            officer_id=None,
            camera_serial=None,
            duration_seconds=probe.duration_seconds,
            container=probe.container,
            codec=probe.codec,
            width=probe.width,
            height=probe.height,
            fps=probe.fps,
            flags=probe.flags,
        )
    yield {"base": base, "clip": reg["clip_id"], "flags": probe.flags}
    live.stop()
    ctx.engine.dispose()


def test_truncated_clip_page_shows_the_flag_and_review_hashes_fit_a_phone(chromium, truncated_stack):  # noqa: F811
    from playwright.sync_api import sync_playwright

    base, clip_id = truncated_stack["base"], truncated_stack["clip"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{base}/portal/sign-in")
            page.fill("input[name=username]", "custodian1")
            page.fill("input[name=password]", PASSWORD)
            page.click("button:has-text('Sign in')")
            page.wait_for_url("**/portal/clips")
            assert "⚠ truncated" in page.inner_text("table.list")
            page.goto(f"{base}/portal/clips/{clip_id}")
            flag = page.locator("p.flag").first
            assert flag.is_visible() and flag.inner_text().startswith("⚠ Truncated")
            assert "vehicle V17" in page.inner_text("dl.facts")
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "flags-01-truncated-clip.png"), full_page=True)

            page.goto(f"{base}/portal/clips")
            page.locator("input[name=clip_ids]").first.check()
            page.fill("input[name=recipient]", "ADA Jane Roe")
            page.click("button:has-text('Create share link')")
            link = page.input_value("#share-link")

            phone = browser.new_context(viewport={"width": 375, "height": 800}).new_page()
            phone.goto(link)
            assert "Truncated" in phone.inner_text("main")
            lines = phone.eval_on_selector(
                "code.sha",
                "c => Math.round(c.getBoundingClientRect().height"
                " / parseFloat(getComputedStyle(c).lineHeight))",
            )
            width = phone.evaluate("document.documentElement.scrollWidth")
            phone.screenshot(path=str(SHOTS / "flags-02-review-phone.png"), full_page=True)
            assert lines <= 3, f"the SHA-256 takes {lines} lines at 375 px"
            assert width <= 375, f"the review page is {width} px wide at a 375 px phone"
        finally:
            browser.close()
