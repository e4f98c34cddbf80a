"""Four cameras docked together: offloaded at once, each clip receipted once, event clips uploaded first."""

from __future__ import annotations

import os
import threading
import time

from edge_agent.core.config import AgentSettings
from edge_agent.offload.offloader import Offloader
from edge_agent.service import Agent
from tests.support.agent import sha256sum, simulate
from tests.support.fake_server import FakeServer
from tests.support.polling import wait_for

PROFILES = ["generic-dcim-bodycam", "json-sidecar-bodycam", "xml-gps-bodycam", "csv-index-bodycam"]


def test_four_cameras_docked_together_are_offloaded_concurrently_and_event_clips_go_first(
    tmp_path, profiles, monkeypatch
):
    media = tmp_path / "media"
    media.mkdir()
    sims = [
        simulate(profiles, media / f"CAM{n}", profile=name, clips=3, seed=60 + n, device_serial=f"SN{n}")
        for n, name in enumerate(PROFILES)
    ]
    flagged = {sha256sum(s.root / c.relpath) for s in sims for c in s.clips if c.event}
    plain = {sha256sum(s.root / c.relpath) for s in sims for c in s.clips if not c.event}
    assert flagged and plain
    total = len(flagged) + len(plain)

    server = FakeServer()
    token = tmp_path / "token"
    token.write_text("device-token")
    token.chmod(0o600)  # the agent refuses a token file others can read (issue 12)
    key = tmp_path / "server-key.pem"
    key.write_text(server.public_pem)
    settings = AgentSettings(
        mount_roots=[media],
        spool_dir=tmp_path / "spool",
        quiet_seconds=0.3,
        rescan_seconds=0.3,
        min_free_bytes=0,
        server_url="http://127.0.0.1:18802",  # never contacted: the fake server stands in
        device_token_file=token,
        server_key_file=key,
        clip_concurrency=1,
        upload_poll_seconds=0.1,
        offload_concurrency=4,
    )
    agent = Agent(settings, profiles=profiles, use_watchdog=False)
    agent.upload.client.close()
    agent.upload.client = agent.upload.uploader.client = server

    # Uploads wait until everything is spooled, so the order shows the uploader's priority, not offload order.
    spooled = threading.Event()
    real_run_once = agent.upload.uploader.run_once

    def run_once():
        spooled.wait(60)
        return real_run_once()

    monkeypatch.setattr(agent.upload.uploader, "run_once", run_once)

    in_flight: set = set()
    most = {"volumes": 0}
    lock = threading.Lock()
    real_offload_clip = Offloader.offload_clip

    def offload_clip(self, volume, *args, **kwargs):
        with lock:
            in_flight.add(volume.root)
            most["volumes"] = max(most["volumes"], len(in_flight))
        try:
            return real_offload_clip(self, volume, *args, **kwargs)
        finally:
            with lock:
                in_flight.discard(volume.root)

    def slow_write(fd, data):  # a slow camera: each write takes a while, so the copies are seen side by side
        time.sleep(0.05)
        return os.write(fd, data)

    monkeypatch.setattr(Offloader, "offload_clip", offload_clip)
    agent.offloader.writer = slow_write
    agent.start()
    try:
        assert wait_for(lambda: agent.journal.counts()["SPOOLED"] == total, timeout=180), (
            agent.journal.counts()
        )
        assert most["volumes"] == 4, f"at most {most['volumes']} volume(s) were being copied at once"
        spooled.set()
        assert wait_for(lambda: len(server.completed) == total, timeout=120), len(server.completed)
        assert wait_for(lambda: agent.journal.counts()["RELEASED"] == total, timeout=60), (
            agent.journal.counts()
        )
        rows = agent.journal.clips()
    finally:
        spooled.set()
        agent.stop()
    assert sorted(server.completed) == sorted(flagged | plain)  # every clip receipted once
    first = server.completed[: len(flagged)]
    assert set(first) == flagged, "the event-flagged clips of every camera are uploaded first"
    assert len(rows) == total and {r.device_serial for r in rows} == {"SN0", "SN1", "SN2", "SN3"}
