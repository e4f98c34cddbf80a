"""The local status page during an offload, in a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from demo.stack import free_port
from edge_agent.core.config import AgentSettings
from edge_agent.service import Agent
from edge_agent.status_page import StatusPage, render_page
from tests.portal.test_browser import ARGS, chromium  # noqa: F401 (the fixture: installs or skips)
from tests.support.agent import simulate

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def test_the_status_page_escapes_what_a_volume_names():
    page = render_page(
        {"docked": [{"root": "/media/<script>x</script>", "state": "docked", "profile": "p"}], "counts": {}}
    )
    assert "<script>x" not in page and "&lt;script&gt;" in page


@pytest.mark.slow
def test_status_page_shows_progress_time_left_and_what_needs_a_person(tmp_path, profiles, chromium):  # noqa: F811
    from playwright.sync_api import sync_playwright

    media = tmp_path / "media"
    media.mkdir()
    settings = AgentSettings(
        mount_roots=[media],
        spool_dir=tmp_path / "spool",
        quiet_seconds=0.3,
        rescan_seconds=0.3,
        min_free_bytes=0,
    )
    agent = Agent(settings, profiles=profiles, use_watchdog=False)

    def slow_write(fd, data):  # a slow card reader, so the offload is seen mid-way
        time.sleep(0.4)
        return os.write(fd, data)

    agent.offloader.writer = slow_write
    simulate(profiles, media / "BODYCAM", clips=12, seed=70, device_serial="SN-PAGE")
    (media / "USBSTICK").mkdir()  # no profile matches: a person should look
    page_server = StatusPage(settings.spool_dir, free_port(), live=agent.status.snapshot).start()
    agent.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            deadline = time.monotonic() + 120
            while True:
                page.goto(page_server.url)
                text = page.inner_text("body")
                if "time left" in text and "clips," in text:
                    break
                assert time.monotonic() < deadline, text
                time.sleep(0.3)
            assert "SN-PAGE" in text and "generic-dcim-bodycam" in text
            assert "no firmware profile matches this volume" in text  # under "Needs a person"
            assert "Oldest clip without a receipt" in text and "DCIM/100MEDIA" in page.inner_text("#oldest")
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "agent-status-page.png"), full_page=True)
            browser.close()
        data = json.load(urllib.request.urlopen(f"{page_server.url}status.json", timeout=10))
        assert any(v.get("device_serial") == "SN-PAGE" for v in data["docked"])
    finally:
        agent.stop()
        page_server.stop()
