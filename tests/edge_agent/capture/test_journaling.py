"""UVC segments as clips: journaled with their digest, partial ones flagged, crash leftovers recovered."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import av
import pytest

from edge_agent.capture.journaling import recover_device
from edge_agent.core.config import AgentSettings, UvcDevice
from edge_agent.core.journal import Journal
from edge_agent.core.spool import Spool
from edge_agent.service import Agent
from tests.support.agent import REPO, agent_env, sha256sum
from tests.support.polling import wait_for


def _frames(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def test_the_service_journals_each_closed_segment_and_the_partial_one_at_stop(tmp_path, profiles):
    (tmp_path / "media").mkdir()
    settings = AgentSettings(
        mount_roots=[tmp_path / "media"],
        spool_dir=tmp_path / "spool",
        min_free_bytes=0,
        uvc_devices=[UvcDevice(name="front", source="test", segment_seconds=1.0)],
    )
    agent = Agent(settings, profiles=profiles)
    agent.start()
    try:
        assert wait_for(lambda: agent.journal.counts()["SPOOLED"] >= 2, timeout=60)
    finally:
        agent.stop()
    with Journal(settings.journal_path) as journal:
        rows = journal.clips()
    assert len(rows) >= 3 and {r.kind for r in rows} == {"segment"}
    for row in rows:
        assert row.state == "SPOOLED" and row.sha256 == sha256sum(Path(row.spool_path))
        assert row.metadata["probe"]["codec"] == "h264" and _frames(Path(row.spool_path)) > 0
    assert [r for r in rows if "partial_segment" not in r.flags], "full-length segments are not partial"
    assert "partial_segment" in rows[-1].flags  # the stop closed and kept the last one
    assert rows[-1].metadata["uvc"]["reason"]


@pytest.mark.slow
def test_a_capture_killed_mid_segment_is_kept_hashed_and_flagged_after_restart(tmp_path):
    spool = tmp_path / "spool"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edge_agent.cli",
            "record-uvc",
            "--spool",
            str(spool),
            "--name",
            "rear",
            "--segment-seconds",
            "30",
            "--seconds",
            "60",
        ],
        cwd=REPO,
        env=agent_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out_dir = spool / "uvc" / "rear"
    recording = lambda: [p for p in out_dir.glob("*.recording") if p.stat().st_size > 100_000]  # noqa: E731
    try:
        assert wait_for(recording, timeout=60), proc.stderr.read1() if proc.poll() is not None else "no data"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)

    device = UvcDevice(name="rear", source="test")
    with Journal(spool / "journal.sqlite") as journal:
        ids = recover_device(journal, Spool(spool), device, out_dir)
        assert len(ids) == 1
        row = journal.get(ids[0])
    assert row.state == "SPOOLED" and "partial_segment" in row.flags
    path = Path(row.spool_path)
    assert path.suffix == ".mp4" and not list(out_dir.glob("*.recording"))
    assert row.sha256 == sha256sum(path)
    assert _frames(path) > 10  # what was written before the kill still plays
