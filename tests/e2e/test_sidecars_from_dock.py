"""Sidecars from the dock to the court, with the real processes on SeaweedFS: a camera of the
xml-gps profile docks; the agent service copies each clip with its XML sidecar, uploads both,
gets the receipt covering both, and removes the spool copies after it (grace 0 here). Each
sidecar is then in the store under COMPLIANCE retention, in the index, in the bag's manifest
(the package's own checker passes), and gone from the spool; the clip page draws the GPS track
(screenshot test-artifacts/screenshots/sidecars-01-clip-page.png, checked by eye)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from edge_agent.service import Agent
from edge_agent.simulator import simulate_camera
from firmware_profiles import get_profile, load_profiles
from tests.portal.test_browser import ARGS, SHOTS, chromium  # noqa: F401 (the fixture)
from tests.portal.test_package_proves_itself import _check
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"
REPORT = {
    "number": "UOF-2026-0914",
    "incident_start": "2026-03-14T13:50:00+00:00",
    "incident_end": "2026-03-14T14:30:00+00:00",
    "town": "Hartford",
    "officers": ["B1234"],
    "force_types": ["cew"],
}


@pytest.fixture(scope="module")
def docked(tmp_path_factory, server):
    tmp_path = tmp_path_factory.mktemp("sidecars")
    profiles = load_profiles()
    dock = tmp_path / "dock"
    dock.mkdir()
    settings = server.agent_settings(tmp_path, dock=dock, vehicle_id="V17", spool_grace_seconds=0)
    staging = tmp_path / "staging" / "XMLCAM1"
    simulate_camera(
        get_profile("xml-gps-bodycam", profiles),
        staging,
        clips=2,
        seconds=12.0,  # one GPS fix a second
        width=160,
        height=120,
        device_serial="XG-0001",
        seed=91,
    )
    agent = Agent(settings, profiles=profiles, use_watchdog=False)
    agent.start()
    try:
        staging.rename(dock / "XMLCAM1")
        rows = wait_until(
            lambda: (r := agent.journal.clips()) and len(r) == 2 and all(x.spool_removed_at for x in r) and r,
            180,
            "two receipts and their spool copies removed",
        )
    finally:
        agent.stop()
    return {"rows": rows, "spool": settings.spool_dir, "root": tmp_path}


def test_sidecars_are_locked_in_the_store_indexed_in_the_bag_and_gone_from_the_spool(docked, server, store):
    s3, bucket = store
    rows = docked["rows"]
    for row in rows:
        copies = row.metadata["sidecar_copies"]
        assert [Path(c["relpath"]).suffix for c in copies] == [".XML"]
        receipt = json.loads(row.receipt_json)["receipt"]
        receipted = {r["name"]: r for r in receipt["related"]}
        with server.custodian() as api:
            index = api.get(f"/api/v1/clips/{row.server_clip_id}/related").json()
        assert index["gps_points"] > 1 and index["gps_sidecar"] == copies[0]["relpath"]
        indexed = {r["name"]: r for r in index["items"]}
        for c in copies:
            assert not Path(c["spool_path"]).exists(), "the receipted sidecar copy left the spool"
            item = indexed[c["relpath"]]
            assert item["sha256"] == c["sha256"] == receipted[c["relpath"]]["sha256"]
            where = {"Bucket": bucket, "Key": item["object_key"], "VersionId": item["version_id"]}
            lock = s3.get_object_retention(**where)["Retention"]
            assert lock["Mode"] == "COMPLIANCE"
            assert hashlib.sha256(s3.get_object(**where)["Body"].read()).hexdigest() == c["sha256"]
        assert not Path(row.spool_path).exists()

    with server.custodian() as api:
        assert api.post("/api/v1/reports", json=REPORT).status_code == 201
        for row in rows:
            linked = api.post(
                "/api/v1/links",
                json={
                    "clip_id": row.server_clip_id,
                    "report_id": REPORT["number"],
                    "reason": "B1234's camera",
                },
            )
            assert linked.status_code == 201 or "already linked" in linked.text, linked.text
    out = docked["root"] / "export"
    out.mkdir()
    server.cli("portal", "export", "--out", str(out), "--report", REPORT["number"])
    [archive] = list(out.glob("*.zip"))
    with zipfile.ZipFile(archive) as z:
        z.extractall(docked["root"] / "court")
    [bag_dir] = list((docked["root"] / "court").iterdir())
    lines = (bag_dir / "manifest-sha256.txt").read_text().splitlines()
    manifest = {path.strip(): digest for digest, path in (line.split(" ", 1) for line in lines)}
    in_bag = sorted(d for p, d in manifest.items() if p.startswith("data/sidecars/"))
    assert in_bag == sorted(c["sha256"] for row in rows for c in row.metadata["sidecar_copies"])
    done = _check(bag_dir)  # in a fresh `python -I -S`, no project code
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checked 2 sidecar file(s)" in done.stdout


def test_the_clip_page_draws_the_gps_track(docked, server, chromium):  # noqa: F811
    from playwright.sync_api import sync_playwright

    server.set_password(server.custodian_name, PASSWORD)
    row = docked["rows"][0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{server.url}/portal/sign-in")
            page.fill("input[name=username]", server.custodian_name)
            page.fill("input[name=password]", PASSWORD)
            page.click("button:has-text('Sign in')")
            page.wait_for_url("**/portal/clips")
            page.goto(f"{server.url}/portal/clips/{row.server_clip_id}")
            track = page.locator("svg#gps-track")
            assert track.is_visible()
            box = track.bounding_box()
            assert box["width"] > 300 and box["height"] > 200
            assert page.locator("svg#gps-track polyline").get_attribute("points").count(",") > 1
            assert row.metadata["sidecar_copies"][0]["sha256"] in page.inner_text("table.related")
            SHOTS.mkdir(parents=True, exist_ok=True)
            track.scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / "sidecars-01-clip-page.png"), full_page=True)
        finally:
            browser.close()
