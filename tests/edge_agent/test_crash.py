"""Crash safety: SIGKILL the real offload at random moments, restart, and check nothing is lost or doubled."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge_agent.core.journal import Journal
from edge_agent.core.live_status import load_saved
from tests.support.agent import REPO, agent_env, fingerprint, sha256sum, simulate
from tests.support.polling import wait_for

KILLS = 20


def _spool_names(spool: Path) -> set[str]:
    try:
        return set(os.listdir(spool / "clips"))
    except FileNotFoundError:
        return set()


def _top_up(vol: Path, rng: random.Random, n: int, start: int) -> None:
    """More clips on the camera (random bytes, some large so kills land mid-copy)."""
    folder = vol / "DCIM" / "101MEDIA"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        size = rng.choice([30_000, 200_000, 1_000_000, 24_000_000])
        (folder / f"20260314_1{i // 60 % 60:02d}{i % 60:02d}_{i:04d}.MP4").write_bytes(rng.randbytes(size))


def _start(mode: str, vol: Path, spool: Path, cfg: Path) -> subprocess.Popen:
    if mode == "offload":
        cmd = ["offload", str(vol), "--spool", str(spool), "--json"]
    else:
        cmd = ["run", "--config", str(cfg)]
    return subprocess.Popen(
        [sys.executable, "-m", "edge_agent.cli", *cmd],
        cwd=REPO,
        env=agent_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["offload", "run"])
def test_sigkill_during_offload_never_loses_or_doubles_a_clip(tmp_path, profiles, mode):
    """`offload` is the manual command, `run` the service watching a root the camera is docked under."""
    rng = random.Random(1234)
    vol = tmp_path / "media" / "cam"
    simulate(profiles, vol, clips=12, seconds=0.5, seed=12, truncated=1)
    added = 0
    _top_up(vol, rng, 12, added)
    added += 12
    spool = tmp_path / "spool"
    cfg = tmp_path / "agent.toml"
    cfg.write_text(
        f'mount_roots = ["{vol.parent}"]\nspool_dir = "{spool}"\nquiet_seconds = 0.2\n'
        "rescan_seconds = 0.2\nmin_free_bytes = 0\n"
    )
    kills = mid_copy = 0
    while kills < KILLS:
        with Journal(spool / "journal.sqlite") as j:
            left = j.counts()["DISCOVERED"] + (len(list(vol.rglob("*.MP4"))) - len(j.clips()))
        if left < 4:
            _top_up(vol, rng, 6, added)
            added += 6
        before = _spool_names(spool)
        proc = _start(mode, vol, spool, cfg)
        # Wait for the agent to start writing into the spool, then kill at a random moment.
        deadline = time.monotonic() + 60
        while proc.poll() is None and not _spool_names(spool) - before and time.monotonic() < deadline:
            time.sleep(0.002)
        assert time.monotonic() < deadline, "the agent never started offloading"
        time.sleep(rng.uniform(0, 0.12))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
            mid_copy += any(n.endswith(".partial") for n in _spool_names(spool))
        proc.communicate(timeout=60)
    original = fingerprint(vol)
    clips_on_camera = sorted(str(p.relative_to(vol)) for p in vol.rglob("*.MP4"))

    if mode == "offload":
        proc = subprocess.run(
            [sys.executable, "-m", "edge_agent.cli", "offload", str(vol), "--spool", str(spool), "--json"],
            cwd=REPO,
            env=agent_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        summary = json.loads(proc.stdout)
        assert sorted(c["path"] for c in summary["clips"]) == clips_on_camera
        assert {c["state"] for c in summary["clips"]} == {"SPOOLED"}
    else:
        proc = _start(mode, vol, spool, cfg)

        def all_spooled():
            with Journal(spool / "journal.sqlite") as j:
                return j.counts()["SPOOLED"] == len(clips_on_camera)

        def running():  # this process saved its status: its SIGTERM handler is in place
            return (load_saved(spool) or {}).get("pid") == proc.pid

        done = wait_for(all_spooled, timeout=300, interval=0.2)
        assert wait_for(running, timeout=60, interval=0.05), "the agent never reported itself running"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert done and proc.returncode == 0, err[-2000:]

    with Journal(spool / "journal.sqlite") as journal:
        rows = journal.clips()
        assert sorted(r.relpath for r in rows) == clips_on_camera  # exactly once each
        assert len({r.source_key for r in rows}) == len(rows)
        claimed = set()
        for row in rows:
            assert row.state == "SPOOLED"
            assert row.sha256 == sha256sum(vol / row.relpath) == sha256sum(Path(row.spool_path))
            claimed |= {Path(row.spool_path).name} | {
                Path(s["spool_path"]).name for s in row.metadata["sidecar_copies"]
            }
            if row.metadata.get("thumbnail"):
                claimed.add(Path(row.metadata["thumbnail"]).name)
        assert journal.integrity_problems() == []
    left = _spool_names(spool)
    assert not [n for n in left if n.endswith((".partial", ".tmp"))], "a partial copy was left behind"
    assert left == claimed, f"unclaimed spool files: {sorted(left - claimed)}"
    assert list((spool / "orphans").iterdir()) == []
    assert fingerprint(vol) == original  # and the camera was only ever read
    print(f"{mode}: {kills} kills, {mid_copy} with a copy in flight, {len(rows)} clips")
