"""`evidence-agent run` as a process: configured by file and environment, docks, reports, stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from edge_agent.core.journal import Journal
from tests.support.agent import REPO, agent_env, run_cli, sha256sum, simulate
from tests.support.polling import wait_for


def test_run_offloads_a_docked_camera_and_status_shows_it_live(tmp_path, profiles):
    media, spool = tmp_path / "media", tmp_path / "spool"
    media.mkdir()
    cfg = tmp_path / "agent.toml"
    cfg.write_text(
        f'mount_roots = ["{media}"]\nspool_dir = "{spool}"\nrescan_seconds = 0.3\nmin_free_bytes = 0\n'
    )
    env = agent_env() | {"EVIDENCE_AGENT_QUIET_SECONDS": "0.3"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge_agent.cli", "run", "--config", str(cfg)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        sim = simulate(profiles, tmp_path / "staging" / "CAM9", clips=3, seed=9, device_serial="SN9")
        os.rename(sim.root, media / "CAM9")

        def status():
            out = run_cli("status", "--spool", spool, "--json")
            return json.loads(out.stdout) if out.returncode == 0 and out.stdout.startswith("{") else {}

        live = wait_for(
            lambda: (s := status()).get("counts", {}).get("SPOOLED") == 3 and s["docked"] and s, timeout=90
        )
        assert live, proc.stderr.read() if proc.poll() is not None else "not spooled in time"
        [vol] = live["docked"]
        assert vol["device_serial"] == "SN9" and vol["profile"] == "generic-dcim-bodycam"
        assert live["agent"]["pid"] == proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    summary = json.loads(run_cli("status", "--spool", spool, "--json").stdout)
    assert summary["counts"]["SPOOLED"] == 3
    with Journal(spool / "journal.sqlite") as journal:
        hashes = {r.relpath: r.sha256 for r in journal.clips("SPOOLED")}
    assert hashes == {str(c.relpath): sha256sum(media / "CAM9" / c.relpath) for c in sim.clips}
    text = run_cli("status", "--spool", spool).stdout
    assert f"volume {media / 'CAM9'}: docked profile=generic-dcim-bodycam serial=SN9" in text
