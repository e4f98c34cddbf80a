"""The agent service stopped mid-upload shuts down cleanly and finishes after a restart."""

from __future__ import annotations

import random
import time

from edge_agent.service import Agent
from firmware_profiles import load_profiles
from tests.support.media import mp4_like


def test_stop_mid_upload_then_restart_finishes(tmp_path, server):
    dock = tmp_path / "dock"
    camera = tmp_path / "staging" / "CAM" / "DCIM" / "100MEDIA"
    camera.mkdir(parents=True)
    rng = random.Random(3)
    for i in range(3):
        (camera / f"CLIP{i:04d}.MP4").write_bytes(mp4_like(rng.randbytes(6 * 1024 * 1024)))
    dock.mkdir()
    # ~4.5 s of upload at this limit: the stop lands mid-way
    settings = server.agent_settings(tmp_path, dock=dock, thumbnails=False, bandwidth_limit_bps=4_000_000)
    profiles = load_profiles()
    agent = Agent(settings, profiles=profiles, use_watchdog=False)
    agent.start()
    (tmp_path / "staging" / "CAM").rename(dock / "CAM")
    deadline = time.monotonic() + 60
    while agent.upload.uploader.meter.total < 2 * 1024 * 1024:
        assert time.monotonic() < deadline, "upload never started"
        time.sleep(0.05)
    agent.stop()
    assert not agent.upload._thread.is_alive(), "the upload thread outlived the journal"

    agent = Agent(settings, profiles=profiles, use_watchdog=False)
    agent.start()
    try:
        while (counts := agent.journal.counts())["RELEASED"] < 3:
            assert time.monotonic() < deadline + 60, f"not finished after restart: {counts}"
            time.sleep(0.2)
        assert agent.journal.integrity_problems() == []
    finally:
        agent.stop()
