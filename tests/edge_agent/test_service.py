"""The service end to end: a simulated camera docks under a watched root and lands in the spool."""

from __future__ import annotations

import os
import threading
from pathlib import Path, PurePosixPath

import pytest

from edge_agent.core.config import AgentSettings
from edge_agent.service import Agent
from edge_agent.status_report import build_status, render
from tests.support.agent import fingerprint, sha256sum, simulate
from tests.support.polling import wait_for


@pytest.fixture
def agent_factory(tmp_path, profiles):
    agents = []

    def make(**kw) -> Agent:
        settings = AgentSettings(
            mount_roots=[tmp_path / "media"],
            spool_dir=tmp_path / "spool",
            quiet_seconds=kw.pop("quiet_seconds", 0.3),
            rescan_seconds=0.3,
            min_free_bytes=0,
            **kw,
        )
        (tmp_path / "media").mkdir(exist_ok=True)
        agent = Agent(settings, profiles=profiles)
        agents.append(agent)
        agent.start()
        return agent

    yield make
    for agent in agents:
        if not agent.stop_event.is_set():
            agent.stop()


@pytest.mark.slow
def test_docking_a_twenty_clip_camera_spools_every_clip_untouched(tmp_path, profiles, agent_factory):
    staging = tmp_path / "staging" / "BODYCAM-7"
    sim = simulate(profiles, staging, clips=20, seconds=0.5, seed=20, device_serial="SN7", clock_offset=90)
    before = fingerprint(staging)
    agent = agent_factory()
    docked = tmp_path / "media" / "BODYCAM-7"
    os.rename(staging, docked)  # the camera's folder tree appears under the watched root

    assert wait_for(lambda: agent.journal.counts()["SPOOLED"] == 20, timeout=180), agent.journal.counts()
    rows = agent.journal.clips()
    assert len(rows) == 20
    assert sorted(r.relpath for r in rows) == sorted(str(c.relpath) for c in sim.clips)
    for row in rows:
        assert row.manifest["sha256"] == row.sha256 == sha256sum(docked / row.relpath)
        assert sha256sum(Path(row.spool_path)) == row.sha256
        assert row.device_serial == "SN7" and row.profile == "generic-dcim-bodycam"
        assert 80 < row.clock_offset_seconds < 100
    assert fingerprint(docked) == before  # not a byte, mode or mtime changed on the camera
    assert agent.journal.integrity_problems() == []

    agent.status.save(agent.spool.root)
    report = build_status(agent.spool.root)
    [vol] = report["docked"]
    assert (vol["root"], vol["profile"], vol["device_serial"]) == (str(docked), "generic-dcim-bodycam", "SN7")

    os.rename(docked, staging)  # undocked
    assert wait_for(lambda: agent.status.volumes[str(docked)].get("state") == "detached", timeout=30)
    agent.stop()
    assert "detached" in render(build_status(agent.spool.root))


def test_a_clip_still_being_written_waits_until_quiet(tmp_path, profiles, agent_factory):
    from edge_agent.simulator import start_writing_clip

    staging = tmp_path / "staging" / "CAM"
    simulate(profiles, staging, clips=1, seconds=0.3, seed=1)
    agent = agent_factory(quiet_seconds=2.5)
    docked = tmp_path / "media" / "CAM"
    os.rename(staging, docked)
    assert wait_for(lambda: agent.journal.counts()["SPOOLED"] == 1, timeout=60)

    rel = PurePosixPath("DCIM/100MEDIA/20260314_150000_0099.MP4")
    stop = threading.Event()
    writer = start_writing_clip(docked, rel, 4.0, stop)
    sizes = set()
    while writer.is_alive():
        sizes.add((docked / rel).stat().st_size)
        spooled = [r for r in agent.journal.clips("SPOOLED") if r.relpath == str(rel)]
        assert not spooled, "copied while still growing"
        writer.join(0.2)
    assert len(sizes) > 3  # it really grew while we watched
    assert wait_for(lambda: agent.journal.counts()["SPOOLED"] == 2, timeout=60)
    [row] = [r for r in agent.journal.clips() if r.relpath == str(rel)]
    assert row.sha256 == sha256sum(docked / rel) and row.flags in ([], ["event"])


def test_bad_volume_cases_are_reported_in_status(tmp_path, profiles, agent_factory):
    staging = tmp_path / "staging" / "CAM"
    sim = simulate(
        profiles,
        staging,
        clips=2,
        seconds=0.3,
        seed=2,
        truncated=1,
        odd_names=True,
        symlink_out=True,
        fifo=True,
    )
    agent = agent_factory()
    os.rename(staging, tmp_path / "media" / "CAM")
    total = len(sim.clips)
    assert wait_for(lambda: agent.journal.counts()["SPOOLED"] == total, timeout=90), agent.journal.counts()
    spooled = {r.relpath for r in agent.journal.clips("SPOOLED")}
    agent.stop()
    text = render(build_status(agent.spool.root))
    for link in sim.symlinks:
        assert f"skipped {str(link)!r}: symlink (not followed)" in text
    for fifo in sim.fifos:
        assert f"skipped {str(fifo)!r}: FIFO (special file skipped)" in text
    assert "truncated" in text
    odd = [c for c in sim.clips if c.odd_name]
    assert odd and all(str(c.relpath) in spooled for c in odd)


def test_a_clip_waits_for_its_sidecar_to_be_quiet(tmp_path, profiles):
    from edge_agent.dock.scan import QuietTracker, scan_volume

    sim = simulate(profiles, tmp_path / "media" / "CAM", profile="json-sidecar-bodycam", clips=1, seed=3)
    settings = AgentSettings(mount_roots=[tmp_path / "media"], spool_dir=tmp_path / "spool", min_free_bytes=0)
    agent = Agent(settings, profiles=profiles)  # not started: callbacks driven by hand
    try:
        agent._attach(sim.root)
        scan = scan_volume(sim.root)
        clip = next(f for f in scan.files if str(f.posix) == str(sim.clips[0].relpath))
        sidecar = next(f for f in scan.files if f.posix.suffix == ".json" and f.posix.stem in clip.posix.stem)
        tracker = QuietTracker(0, lambda: 0.0)
        ready, waiting = tracker.observe(scan.files)
        agent._scanned(sim.root, [f for f in ready if f != sidecar], [sidecar], scan)
        assert clip not in agent._pending[sim.root]
        agent._scanned(sim.root, ready, [], scan)
        assert clip in agent._pending[sim.root] and sidecar in agent._pending[sim.root]
    finally:
        agent.journal.close()


def test_a_volume_no_profile_recognises_is_reported_not_copied(tmp_path, agent_factory):
    agent = agent_factory()
    stick = tmp_path / "staging" / "USBSTICK"
    stick.mkdir(parents=True)
    (stick / "holiday.mp4").write_bytes(b"someone's own video")
    os.rename(stick, tmp_path / "media" / "USBSTICK")
    root = str(tmp_path / "media" / "USBSTICK")
    assert wait_for(lambda: agent.status.volumes.get(root, {}).get("state") == "unrecognised", timeout=30)
    agent.stop()
    assert agent.spool.root.joinpath("clips").exists() and not list(agent.spool.clips_dir.iterdir())
    text = render(build_status(agent.spool.root))
    assert f"volume {root}: unrecognised" in text and "no firmware profile matches" in text


def test_camera_pulled_mid_copy_is_retried_when_docked_again(tmp_path, profiles, agent_factory):
    staging = tmp_path / "staging" / "CAM"
    sim = simulate(profiles, staging, clips=2, seed=11, device_serial="SN11")
    agent = agent_factory()
    docked, away = tmp_path / "media" / "CAM", tmp_path / "pulled" / "CAM"
    away.parent.mkdir()
    pulled = []

    def pull_on_first_write(fd, data):
        if not pulled:
            pulled.append(True)
            os.rename(docked, away)  # the trooper yanks the cable mid-copy
        return os.write(fd, data)

    agent.offloader.writer = pull_on_first_write
    os.rename(staging, docked)
    assert wait_for(lambda: agent.status.volumes.get(str(docked), {}).get("state") == "detached", timeout=60)
    rows = agent.journal.clips()
    assert rows and all(r.state == "DISCOVERED" for r in rows)
    assert "volume removed mid-copy" in rows[0].error
    assert not [p for p in agent.spool.clips_dir.iterdir() if p.name.startswith(f"{rows[0].id:08d}")]
    agent.status.save(agent.spool.root)
    assert "volume removed mid-copy" in render(build_status(agent.spool.root))

    agent.offloader.writer = os.write
    os.rename(away, docked)  # docked again
    assert wait_for(lambda: agent.journal.counts()["SPOOLED"] == 2, timeout=60), agent.journal.counts()
    assert [r.id for r in agent.journal.clips()][: len(rows)] == [r.id for r in rows]  # the same rows
    for row in agent.journal.clips():
        assert row.sha256 == sha256sum(docked / row.relpath)
    assert len(agent.journal.clips()) == len(sim.clips)


def test_a_journal_that_cannot_commit_pauses_offload_and_loses_nothing(tmp_path, profiles, agent_factory):
    import sqlite3

    staging = tmp_path / "staging" / "CAM"
    simulate(profiles, staging, clips=2, seed=13)
    agent = agent_factory()
    real_transition = agent.journal.transition

    def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    agent.journal.transition = disk_full
    os.rename(staging, tmp_path / "media" / "CAM")
    assert wait_for(lambda: (agent.status.paused or "").startswith("journal cannot be written"), timeout=60)
    assert agent.journal.counts()["SPOOLED"] == 0 and agent._worker.is_alive()

    agent.journal.transition = real_transition  # space freed
    assert wait_for(lambda: agent.journal.counts()["SPOOLED"] == 2, timeout=60)
    assert agent.status.paused is None
    for row in agent.journal.clips():
        assert row.sha256 == sha256sum(tmp_path / "media" / "CAM" / row.relpath)
    assert agent.journal.events(kinds=["recovered"])  # the copy made before the failed commit was verified
