"""Issue 5 end to end: a camera docks, the agent service does the rest.

The real agent service (dock watcher, offload, uploader, release, spool
cleanup) against the real server process and moto: ten clips docked, all
receipted, released as the profile says, gone from the spool; every stored
object hashes to its sha256; the index holds all ten.
"""

from __future__ import annotations

import hashlib
import json
import os

from edge_agent.service import Agent
from edge_agent.simulator import simulate_camera
from edge_agent.status_report import build_status, render
from firmware_profiles import get_profile, load_profiles
from tests.support.polling import wait_until


def test_ten_clips_docked_to_receipt_release_and_clean_spool(tmp_path, server, store):
    profiles = load_profiles()
    profile = get_profile("xml-gps-bodycam", profiles)  # release = delete, full re-hash first
    dock = tmp_path / "dock"
    dock.mkdir()
    settings = server.agent_settings(
        tmp_path, dock=dock, vehicle_id="V17", spool_grace_seconds=0, upload_poll_seconds=0.3
    )
    staged = simulate_camera(profile, tmp_path / "staging" / "CAM", clips=10, seconds=1.0, seed=5)
    camera_clips = [staged.root / c.relpath for c in staged.clips]
    sums = {hashlib.sha256(p.read_bytes()).hexdigest() for p in camera_clips}
    agent = Agent(settings, profiles=profiles, use_watchdog=False)
    agent.start()
    try:
        (tmp_path / "staging" / "CAM").rename(dock / "CAM")
        rows = wait_until(
            lambda: (
                (r := agent.journal.clips())
                and len(r) == 10
                and all(x.state == "RELEASED" and x.spool_removed_at for x in r)
                and r
            ),
            120,
            "ten released clips",
        )
    finally:
        agent.stop()
    assert {r.sha256 for r in rows} == sums
    status = build_status(settings.spool_dir)
    assert status["upload"]["server"] == server.url and status["upload"]["bytes_sent"] > 0
    assert status["oldest_unreceipted"] is None
    text = render(status)
    assert "RELEASED 10" in text and "bandwidth limit none" in text
    for row in rows:
        assert row.release_action.startswith("delete"), row.release_action
        assert not (dock / "CAM" / row.relpath).exists(), "released per profile: deleted from the camera"
        assert not os.path.exists(row.spool_path), "spool copy cleaned after its receipt"
    s3, bucket = store
    for row in rows:
        receipt = json.loads(row.receipt_json)["receipt"]
        obj = s3.get_object(Bucket=bucket, Key=receipt["object_key"], VersionId=receipt["version_id"])
        body = obj["Body"]
        assert hashlib.sha256(body.read()).hexdigest() == row.sha256
    with server.custodian() as api:
        indexed = api.get("/api/v1/clips", params={"device": server.device_name, "limit": 50}).json()["items"]
        mine = [c for c in indexed if c["sha256"] in sums]
        assert len(mine) == 10
        assert all(c["officer_id"] for c in mine)
