"""Redaction and public release in a real browser (Debian's Chromium, Playwright), against the real
server on 127.0.0.1 and the loopback S3 store, with the face footage of tests/ingest_server/redaction.

custodian1 records a public records request, opens the clip, starts a redaction (a real
`evidence-server worker` process scans it while the page reloads itself), rejects one track, adds a
box by hand, masks an audio range, renders, plays the preview, approves; custodian2 approves the
release (signed with a test agency CA) and releases the package; the request shows as released
before its due time. The original's bytes in the store are the same at the end. Screenshots land in
test-artifacts/screenshots/.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from ingest_server import migrate
from ingest_server.app import build_context, create_app
from ingest_server.auth import service as auth_service
from ingest_server.clips.models import Clip
from ingest_server.portal import signin
from ingest_server.settings import Settings
from ingest_server.types import utcnow
from tests.ingest_server import helpers
from tests.ingest_server.redaction import certs, footage
from tests.portal.conftest import PASSWORD
from tests.portal.test_browser import ARGS, _plays, _shot, chromium  # noqa: F401 (fixture)
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _worker(settings: Settings, log: Path) -> subprocess.Popen:
    """`evidence-server worker` on the same database, store and queue as the server."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EVIDENCE_SERVER_DATA_DIR": str(settings.data_dir),
        "EVIDENCE_SERVER_DATABASE_URL": settings.db_url,
        "EVIDENCE_SERVER_S3_ENDPOINT_URL": settings.s3_endpoint_url or "",
        "EVIDENCE_SERVER_S3_BUCKET": settings.s3_bucket,
        "EVIDENCE_SERVER_S3_ACCESS_KEY_ID": "testing",
        "EVIDENCE_SERVER_S3_SECRET_ACCESS_KEY": "testing",
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from ingest_server.cli import main; main()", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory, s3_endpoint):
    tmp = tmp_path_factory.mktemp("redaction-browser")
    pki = certs.make("Test Agency Root CA")
    (tmp / "chain.pem").write_bytes(pki.chain_pem)
    (tmp / "key.pem").write_bytes(pki.key_pem)
    settings = Settings(
        data_dir=tmp / "data",
        database_url=f"sqlite:///{tmp / 'evidence.sqlite3'}",
        s3_endpoint_url=s3_endpoint,
        s3_bucket=f"redact-{uuid.uuid4().hex[:12]}",
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
        release_cert_chain_path=tmp / "chain.pem",
        release_key_path=tmp / "key.pem",
    )
    migrate.upgrade(settings.db_url)
    ctx = build_context(settings)
    with ctx.sessions() as session:
        for name in ("custodian1", "custodian2"):
            auth_service.create_user(
                session=session, username=name, role="custodian", officer_id=None, actor="t"
            )
            signin.set_password(session=session, username=name, password=PASSWORD, actor="test", now=utcnow())
        _, device = auth_service.enroll_device(session=session, name="car-17", vehicle_id="V17", actor="test")
    live = LiveServer(create_app(context=ctx), "uvicorn-redaction")
    base = live.start()
    made = footage.make(tmp / "AXON_0042.MP4", fps=15, seconds=2.0)
    data = made.path.read_bytes()
    with httpx.Client(base_url=base, timeout=60) as http:
        reg, _ = helpers.upload(
            http,
            {"Authorization": f"Bearer {device}"},
            data,
            original_name="AXON_0042.MP4",
            officer_id="B1234",
            fps=15.0,
            duration_seconds=2.0,
            width=640,
            height=360,
        )
    worker = _worker(settings, tmp / "worker.log")  # last: a failed setup leaves no process behind
    yield {
        "base": base,
        "ctx": ctx,
        "clip": reg["clip_id"],
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": data,
    }
    live.stop()
    worker.send_signal(signal.SIGINT)
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(10)
    ctx.engine.dispose()


def _sign_in(browser, base, username):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/portal/sign-in")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/portal/clips")
    return page


def test_custodian_redacts_second_custodian_releases(chromium, stack):  # noqa: F811
    from playwright.sync_api import sync_playwright

    base, ctx, clip_id = stack["base"], stack["ctx"], stack["clip"]
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            page = _sign_in(browser, base, "custodian1")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))

            page.goto(f"{base}/portal/records-requests")
            page.fill("#new-request input[name=requester]", "Hartford Courant")
            page.fill("#new-request input[name=clip_ids]", clip_id)
            page.fill("#new-request input[name=description]", "body camera, 24 Nov, I-84")
            page.click("button:has-text('Record request')")
            page.wait_for_url("**/portal/records-requests/*")
            request_url = page.url.split("?")[0]
            assert page.inner_text("#request-state") == "open"

            page.goto(f"{base}/portal/clips/{clip_id}")
            assert "No derived copy." in page.content()
            page.fill("#start-redaction input[name=reason]", "records request, Hartford Courant")
            page.click("#start-redaction button")
            page.wait_for_url("**/portal/redactions/*")
            page.wait_for_selector("text=Faces found", timeout=120_000)  # the page reloads while it scans
            rows = page.locator("table.tracks tbody tr[data-track]")
            assert rows.count() >= 2
            assert page.locator("img.thumb").count() == rows.count()
            _shot(page, "21-redaction-tracks")
            last = rows.last.get_attribute("data-track")
            rows.last.locator("button:has-text('Reject')").click()
            page.wait_for_selector(f"tr[data-track='{last}'].rejected")
            assert page.inner_text(f"tr[data-track='{last}'] .decision") == "rejected"

            page.check("#add-box input[name=how][value=hold]")
            page.fill("#add-box input[name=first]", "0")
            page.fill("#add-box input[name=last]", "29")
            for name, value in (("x1", "10"), ("y1", "10"), ("x2", "90"), ("y2", "90")):
                page.fill(f"#add-box input[name={name}]", value)
            page.click("#add-box button")
            page.wait_for_selector("tr[data-box]")
            page.fill("#add-audio input[name=start_s]", "0.5")
            page.fill("#add-audio input[name=end_s]", "1.0")
            page.click("#add-audio button")
            page.wait_for_selector("ul.audio li")
            page.click("#render")
            page.wait_for_selector("#preview", timeout=120_000)
            _plays(page, "#preview", seconds=1.0)
            page.eval_on_selector("#preview", "v => v.pause()")
            derived_sha = page.inner_text("#derived-sha256")
            assert derived_sha != stack["sha256"]
            _shot(page, "22-redaction-preview")
            page.click("#approve")
            page.wait_for_selector("text=approved: a second custodian")
            assert page.inner_text("#derived-state") == "approved"

            second = _sign_in(browser, base, "custodian2")
            second.on("pageerror", lambda exc: errors.append(str(exc)))
            second.goto(f"{base}/portal/releases")
            _shot(second, "23-releases-waiting")
            second.click("button:has-text('Approve release')")
            second.wait_for_selector("text=released: signed copy")
            second.goto(request_url)
            second.click("#release-package")
            second.wait_for_selector("#request-released")
            assert second.inner_text("#request-state") == "released"
            assert "(before the due time)" in second.inner_text("#request-released")
            _shot(second, "24-request-released")
            second.goto(f"{base}/portal/records-requests")
            assert "Hartford Courant" in second.inner_text("main")  # listed among released
            assert "No open request." in second.inner_text("table.requests")

            page.goto(f"{base}/portal/clips/{clip_id}")
            states = page.locator("table.derived td.state").all_inner_texts()
            assert sorted(states) == ["released", "released"]
            _shot(page, "25-clip-derived-copies")
            assert page.inner_text("#sha256") == stack["sha256"]
        finally:
            browser.close()
    assert errors == []  # no script error, no Content-Security-Policy violation
    with ctx.sessions() as session:
        clip = session.get(Clip, clip_id)
        key, version, sha = clip.object_key, clip.version_id, clip.sha256
    chunks, _ = ctx.storage.read(key, version)
    assert sha == stack["sha256"] and b"".join(chunks) == stack["data"]
