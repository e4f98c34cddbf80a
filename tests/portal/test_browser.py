"""The console and the review portal in a real browser: Debian's headless Chromium
driven by Playwright, against the real server (uvicorn on 127.0.0.1) and moto's S3
server, with real H.264 clips uploaded through the device API.

One walk through what people do: the custodian signs in, searches, opens a clip
and plays it, shares two clips; the prosecutor opens the link in a fresh browser,
plays, downloads an original and checks its SHA-256; the custodian revokes the
link and the prosecutor's reload shows the revoked page (410). Screenshots of
each page land in test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from edge_agent.simulator import encode_clip
from ingest_server import migrate
from ingest_server.app import build_context, create_app
from ingest_server.audit.models import AuditEvent
from ingest_server.auth import service as auth_service
from ingest_server.portal import signin
from ingest_server.settings import Settings
from ingest_server.types import utcnow
from tests.ingest_server import helpers
from tests.portal.conftest import PASSWORD
from tests.support import debian
from tests.support.live_server import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
pytestmark = pytest.mark.slow
REPORT = {
    "number": "UOF-2026-0042",
    "incident_start": "2026-11-24T09:58:00+00:00",
    "incident_end": "2026-11-24T10:10:00+00:00",
    "town": "Hartford",
    "location": "I-84 exit 48",
    "officers": ["B1234", "B5678"],
    "force_types": ["cew"],
}


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium, installed with apt-get when missing; skip (saying why) if that fails."""
    return Path(debian.tool(str(CHROMIUM), "chromium"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory, s3_endpoint):
    """The real server on 127.0.0.1 with a custodian and two real H.264 clips (body camera and dashcam)."""
    tmp = tmp_path_factory.mktemp("browser")
    settings = Settings(
        data_dir=tmp / "data",
        database_url=f"sqlite:///{tmp / 'evidence.sqlite3'}",
        s3_endpoint_url=s3_endpoint,
        s3_bucket=f"browser-{uuid.uuid4().hex[:12]}",
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    migrate.upgrade(settings.db_url)
    ctx = build_context(settings)
    with ctx.sessions() as session:
        _, custodian = auth_service.create_user(
            session=session, username="custodian1", role="custodian", officer_id=None, actor="test"
        )
        signin.set_password(
            session=session, username="custodian1", password=PASSWORD, actor="test", now=utcnow()
        )
        _, device = auth_service.enroll_device(session=session, name="car-17", vehicle_id="V17", actor="test")
    live = LiveServer(create_app(context=ctx), "uvicorn-portal")
    base = live.start()
    clips = {}
    with httpx.Client(base_url=base, timeout=60) as http:
        for name, officer, camera, start, end, seed in (
            (
                "AXON_0019283746.MP4",
                "B1234",
                "X81234",
                "2026-11-24T10:00:00+00:00",
                "2026-11-24T10:00:08+00:00",
                1,
            ),
            ("DASH0001.MP4", "B5678", "DC-77", "2026-11-24T10:00:02+00:00", "2026-11-24T10:00:10+00:00", 2),
        ):
            path = tmp / name
            encode_clip(path, 8, width=320, height=240, fps=25, bitrate=300_000, seed=seed)
            data = path.read_bytes()
            reg, _ = helpers.upload(
                http,
                {"Authorization": f"Bearer {device}"},
                data,
                original_name=name,
                officer_id=officer,
                camera_serial=camera,
                corrected_start=start,
                corrected_end=end,
                camera_start=start,
                camera_end=end,
                duration_seconds=8.0,
                width=320,
                height=240,
                fps=25.0,
            )
            clips[officer] = (reg["clip_id"], hashlib.sha256(data).hexdigest())
        report = http.post("/api/v1/reports", headers={"Authorization": f"Bearer {custodian}"}, json=REPORT)
        assert report.status_code == 201, report.text
    yield {"base": base, "ctx": ctx, "clips": clips, "report": report.json()["id"]}
    live.stop()
    ctx.engine.dispose()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _plays(page, selector: str, seconds: float = 2.0) -> None:
    """Start the player and wait until its current time has advanced `seconds`."""
    page.eval_on_selector(selector, "v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "([s, t]) => { const v = document.querySelector(s); return v && !v.error && v.currentTime >= t; }",
        arg=[selector, seconds],
        timeout=30_000,
    )


def test_custodian_shares_prosecutor_reviews_custodian_revokes(chromium, stack):
    from playwright.sync_api import sync_playwright

    base, ctx, clips = stack["base"], stack["ctx"], stack["clips"]
    body_id, body_sha = clips["B1234"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            custodian = browser.new_context(viewport={"width": 1280, "height": 900})
            page = custodian.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
            page.goto(f"{base}/portal/clips")
            assert "/portal/sign-in" in page.url  # nobody gets in without signing in
            page.fill("input[name=username]", "custodian1")
            page.fill("input[name=password]", PASSWORD)
            _shot(page, "01-sign-in")
            page.click("button:has-text('Sign in')")
            page.wait_for_url("**/portal/clips")
            assert page.locator("table.list tbody tr").count() == 2

            page.fill("input[name=officer]", "B1234")
            page.click("button:has-text('Search')")
            page.wait_for_url("**officer=B1234**")
            rows = page.locator("table.list tbody tr")
            assert rows.count() == 1 and "B1234" in rows.first.inner_text()
            _shot(page, "02-clip-search")

            rows.first.locator("a").click()
            page.wait_for_url(f"**/portal/clips/{body_id}")
            assert page.inner_text("#sha256") == body_sha
            assert page.evaluate(
                "document.createElement('video').canPlayType('video/mp4; codecs=\"avc1.42E01E\"')"
            )
            _plays(page, "#player")
            page.eval_on_selector("#player", "v => v.pause()")
            _shot(page, "03-clip-page")

            page.goto(f"{base}/portal/reports/{stack['report']}")
            assert page.locator(".tile video").count() == 2  # body camera and dashcam, side by side
            page.click("button.together")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.tile video')].every(v => v.currentTime > 1)",
                timeout=30_000,
            )
            page.click("button.together")
            _shot(page, "04-report-timeline")

            page.goto(f"{base}/portal/clips")
            for box in page.locator("input[name=clip_ids]").all():
                box.check()
            page.fill("input[name=recipient]", "ADA Jane Roe")
            page.fill("input[name=title]", "State v. Doe")
            page.check("input[name=allow_download]")
            page.click("button:has-text('Create share link')")
            link = page.input_value("#share-link")
            assert link.startswith(f"{base}/review/")
            _shot(page, "05-share-created")
            page.click("text=Manage this share")
            share_url = page.url

            prosecutor = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
            review = prosecutor.new_page()
            review.on("pageerror", lambda exc: errors.append(str(exc)))
            first = review.goto(link)
            assert first.status == 200 and "State v. Doe" in review.content()
            assert body_sha in review.inner_text("table.list") and clips["B5678"][1] in review.content()
            _plays(review, f"video[data-clip='{body_id}']")
            review.click("button.together")  # both cameras on one clock
            review.wait_for_function(
                "() => [...document.querySelectorAll('.tile video')]"
                ".every(v => v.currentTime > 1 && !v.paused)",
                timeout=30_000,
            )
            review.click("button.together")
            _shot(review, "06-review-page")

            with review.expect_download() as download_info:
                review.click("a:has-text('Download B1234')")
            download = download_info.value
            assert download.suggested_filename == "B1234_2026-11-24_100000Z_X81234.mp4"
            assert hashlib.sha256(Path(download.path()).read_bytes()).hexdigest() == body_sha

            page.goto(share_url)
            page.fill("input[name=reason]", "case disposed")
            page.click("button:has-text('Revoke link')")
            assert "revoked" in page.inner_text("#share-status")
            _shot(page, "07-share-revoked")

            assert errors == []  # no script error, no Content-Security-Policy violation
            gone = review.reload()
            assert gone.status == 410 and "This link was revoked" in review.content()
            _shot(review, "08-review-revoked")
        finally:
            browser.close()

    with ctx.sessions() as session:
        events = session.execute(select(AuditEvent).where(AuditEvent.component == "review")).scalars().all()
    kinds = {e.event_type for e in events}
    assert {"share.viewed", "share.clip_played", "share.clip_downloaded", "share.refused"} <= kinds
    share_ids = {json.loads(e.detail)["share_id"] for e in events}
    assert len(share_ids) == 1 and all(json.loads(e.detail)["recipient"] == "ADA Jane Roe" for e in events)
    played = {e.object_id for e in events if e.event_type == "share.clip_played"}
    assert played == {body_id, clips["B5678"][0]}
