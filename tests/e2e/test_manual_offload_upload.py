"""`evidence-agent offload PATH --config C`: with a server configured, the manual offload uploads too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from edge_agent.simulator import simulate_camera
from firmware_profiles import get_profile, load_profiles

EXE = str(Path(sys.executable).parent / "evidence-agent")


def test_manual_offload_uploads_and_releases_per_profile(tmp_path, server):
    profile = get_profile("csv-index-bodycam", load_profiles())  # release = move
    volume = simulate_camera(profile, tmp_path / "CAM", clips=3, seconds=1.0, seed=9)
    token = tmp_path / "token"
    token.write_text(server.device_token)
    token.chmod(0o600)  # the agent refuses a token file others can read
    config = tmp_path / "agent.toml"
    config.write_text(
        f'spool_dir = "{tmp_path / "spool"}"\nserver_url = "{server.url}"\n'
        f'server_key_fingerprint = "{server.key_fingerprint}"\n'
        f'device_token_file = "{token}"\nspool_grace_seconds = 0\n'
    )
    done = subprocess.run(
        [
            EXE,
            "offload",
            str(volume.root),
            "--spool",
            str(tmp_path / "spool"),
            "--config",
            str(config),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["upload"]["uploaded"] == 3 and summary["upload"]["waiting"] == []
    assert summary["upload"]["counts"]["RELEASED"] == 3
    assert all(r["action"].startswith("move") for r in summary["upload"]["released"])
    for clip in volume.clips:
        assert not (volume.root / clip.relpath).exists()
        moved = list((volume.root / profile.release_move_to).rglob(Path(clip.relpath).name))
        assert len(moved) == 1, f"{clip.relpath} was not moved to {profile.release_move_to}"
    status = subprocess.run(
        [EXE, "status", "--spool", str(tmp_path / "spool")], capture_output=True, text=True, timeout=60
    )
    assert "RELEASED 3" in status.stdout
