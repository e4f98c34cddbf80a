"""The evidence-agent command line, run as a person would (a subprocess), and its settings."""

from __future__ import annotations

import json
import os

import pytest
from pydantic import ValidationError

from edge_agent.core.config import load_settings
from tests.support.agent import fingerprint, run_cli, sha256sum


def test_simulate_then_offload_json_then_status(tmp_path):
    cam, spool = tmp_path / "cam", tmp_path / "spool"
    sim = run_cli(
        "simulate-camera",
        "--profile",
        "generic-dcim-bodycam",
        "--out",
        cam,
        "--clips",
        3,
        "--seconds",
        0.5,
        "--truncated",
        1,
        "--symlink-out",
        "--fifo",
        "--seed",
        7,
    )
    assert sim.returncode == 0, sim.stderr
    before = fingerprint(cam)
    out = run_cli("offload", cam, "--spool", spool, "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["profile"] == "generic-dcim-bodycam"
    assert len(summary["clips"]) == 3
    for clip in summary["clips"]:
        assert clip["state"] == "SPOOLED"
        assert clip["sha256"] == sha256sum(cam / clip["path"])
    assert sum("truncated" in c["flags"] for c in summary["clips"]) == 1
    reasons = {s["reason"] for s in summary["skipped"]}
    assert {"symlink (not followed)", "FIFO (special file skipped)"} <= reasons
    assert fingerprint(cam) == before

    again = json.loads(run_cli("offload", cam, "--spool", spool, "--json").stdout)
    assert [c["sha256"] for c in again["clips"]] == [c["sha256"] for c in summary["clips"]]
    assert again["counts"]["SPOOLED"] == 3  # a second offload copies nothing twice

    status = run_cli("status", "--spool", spool, "--json")
    report = json.loads(status.stdout)
    assert report["counts"]["SPOOLED"] == 3 and report["paused"] is None
    kinds = {e["kind"] for e in report["events"]}
    assert {"skipped", "truncated"} <= kinds
    text = run_cli("status", "--spool", spool).stdout
    assert "clips: SPOOLED 3" in text and "symlink (not followed)" in text


def test_offload_of_a_full_spool_exits_3_and_says_so(tmp_path):
    cam = tmp_path / "cam" / "DCIM" / "100MEDIA"
    cam.mkdir(parents=True)
    (cam / "20260314_140000_0001.MP4").write_bytes(os.urandom(100_000))
    out = run_cli("offload", tmp_path / "cam", "--spool", tmp_path / "spool", "--min-free-bytes", 2**62)
    assert out.returncode == 3
    assert "spool full" in out.stderr and "nothing lost" in out.stderr
    status = run_cli("status", "--spool", tmp_path / "spool").stdout
    assert "OFFLOAD PAUSED: spool full" in status and "DISCOVERED 1" in status


def test_status_without_a_journal_says_so(tmp_path):
    out = run_cli("status", "--spool", tmp_path / "nothing")
    assert out.returncode == 0 and "has not run with this spool" in out.stdout


def test_offload_of_a_missing_folder_is_a_clear_error(tmp_path):
    out = run_cli("offload", tmp_path / "nope", "--spool", tmp_path / "spool")
    assert out.returncode == 2 and "is not a folder" in out.stderr


def test_settings_from_file_then_environment(tmp_path, monkeypatch):
    cfg = tmp_path / "agent.toml"
    cfg.write_text(
        f'spool_dir = "{tmp_path}/spool"\nmount_roots = ["/media", "/mnt/cams"]\n'
        'quiet_seconds = 7\n[[uvc_devices]]\nname = "front"\nsource = "/dev/video0"\n'
    )
    monkeypatch.setenv("EVIDENCE_AGENT_QUIET_SECONDS", "2.5")
    settings = load_settings(cfg)
    assert settings.spool_dir == tmp_path / "spool"
    assert [str(r) for r in settings.mount_roots] == ["/media", "/mnt/cams"]
    assert settings.quiet_seconds == 2.5  # environment beats the file
    assert settings.uvc_devices[0].name == "front"
    assert load_settings(cfg, quiet_seconds=1).quiet_seconds == 1  # explicit beats both


def test_settings_refuse_a_raw_token_and_unknown_keys(tmp_path):
    cfg = tmp_path / "agent.toml"
    cfg.write_text('device_token = "secret"\n')
    with pytest.raises(ValidationError, match="raw device token"):
        load_settings(cfg)
    cfg.write_text('spool_dri = "/typo"\n')
    with pytest.raises(ValidationError, match="spool_dri"):
        load_settings(cfg)


def test_an_unknown_profile_is_a_clear_error_not_a_traceback(tmp_path):
    for args in (
        ["simulate-camera", "--profile", "nope", "--out", str(tmp_path / "cam")],
        ["offload", str(tmp_path), "--spool", str(tmp_path / "spool"), "--profile", "nope"],
    ):
        out = run_cli(*args)
        assert out.returncode == 2, out.stderr
        assert "unknown profile 'nope'" in out.stderr and "Traceback" not in out.stderr


def test_enospc_while_saving_the_status_mid_offload_exits_3_with_json(tmp_path, monkeypatch):
    # Issue 16 Found 4: ENOSPC in RuntimeStatus.save crashed `offload` with a traceback, exit 1, no JSON.
    import errno

    from typer.testing import CliRunner

    from edge_agent.cli import app
    from edge_agent.core.live_status import RuntimeStatus

    cam = tmp_path / "cam" / "DCIM" / "100MEDIA"
    cam.mkdir(parents=True)
    for n in range(2):
        (cam / f"20260314_14000{n}_000{n}.MP4").write_bytes(os.urandom(50_000))

    def disk_full(self, spool_dir):
        raise OSError(errno.ENOSPC, "No space left on device", str(spool_dir))

    monkeypatch.setattr(RuntimeStatus, "save", disk_full)
    result = CliRunner().invoke(
        app, ["offload", str(tmp_path / "cam"), "--spool", str(tmp_path / "spool"), "--json"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 3, result.output
    summary = json.loads(result.stdout)
    assert summary["paused"].startswith("spool full") and "status.json" in summary["paused"]
    assert [c["state"] for c in summary["clips"]] == ["SPOOLED", "SPOOLED"]  # what was copied is journaled
