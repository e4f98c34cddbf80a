"""`evidence-agent doctor` and the system-service files (systemd unit, udev/udisks mount rule)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from edge_agent.core.config import AgentSettings
from edge_agent.doctor import check_token, is_encrypted, run_checks
from tests.support import debian
from tests.support.agent import REPO, run_cli

UNIT = REPO / "packaging" / "systemd" / "evidence-agent.service"
RULE = REPO / "packaging" / "udev" / "99-evidence-camera.rules"


def test_a_token_file_others_can_read_fails_and_600_passes(tmp_path):
    token = tmp_path / "token"
    token.write_text("secret")
    token.chmod(0o644)
    bad = check_token(token)
    assert not bad.ok and "chmod 600" in bad.detail
    token.chmod(0o600)
    assert check_token(token).ok


def test_dm_crypt_is_told_from_a_plain_or_lvm_device(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/vda1 / ext4 rw 0 0\n"
        f"{tmp_path}/dev/dm-0 /var/lib/evidence-agent ext4 rw 0 0\n"
        f"{tmp_path}/dev/dm-1 /srv ext4 rw 0 0\n"
    )
    (tmp_path / "dev").mkdir()
    for name, uuid in (("dm-0", "CRYPT-LUKS2-0123abcd-spool"), ("dm-1", "LVM-abcdef")):
        (tmp_path / "dev" / name).write_text("")
        (tmp_path / "sys" / name / "dm").mkdir(parents=True)
        (tmp_path / "sys" / name / "dm" / "uuid").write_text(uuid + "\n")
    kw = {"mounts_file": mounts, "sys_block": tmp_path / "sys"}
    assert is_encrypted(Path("/var/lib/evidence-agent/spool"), **kw) == (
        True,
        f"{tmp_path}/dev/dm-0 on /var/lib/evidence-agent is dm-crypt (LUKS2)",
    )
    ok, why = is_encrypted(Path("/srv/x"), **kw)
    assert not ok and "not dm-crypt" in why
    ok, why = is_encrypted(Path("/home"), **kw)
    assert not ok and "not a device-mapper device" in why


def test_doctor_prints_every_check_with_pass_or_fail(tmp_path):
    token = tmp_path / "token"
    token.write_text("secret")
    token.chmod(0o600)
    (tmp_path / "spool").mkdir()
    config = tmp_path / "agent.toml"
    config.write_text(
        f'spool_dir = "{tmp_path / "spool"}"\nmount_roots = ["{tmp_path}"]\nmin_free_bytes = 0\n'
        f'server_url = "http://127.0.0.1:18812"\ndevice_token_file = "{token}"\n'
        f'server_key_fingerprint = "sha256:{"0" * 64}"\n'
    )
    out = run_cli("doctor", "--config", config)
    lines = out.stdout.splitlines()
    names = [re.match(r"(PASS|FAIL)  ([^:]+):", line).group(2) for line in lines[:-1]]
    assert names == [
        "device token",
        "server TLS",
        "pinned receipt key",
        "spool free space",
        "spool encrypted",
        "clock sync",
        f"mount root {tmp_path}",
    ]
    assert lines[0].startswith("PASS  device token")
    assert "FAIL  server TLS: http://127.0.0.1:18812 is not https" in out.stdout
    assert out.returncode == 1 and re.fullmatch(r"\d+ passed, \d+ failed", lines[-1])
    checks = run_checks(AgentSettings(spool_dir=tmp_path / "spool", mount_roots=[tmp_path], min_free_bytes=0))
    assert {c.name for c in checks if not c.ok} >= {"device token", "server"}  # nothing configured


def test_the_unit_is_sandboxed_and_writes_only_the_spool_and_state():
    unit = UNIT.read_text()
    directives = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")
    )
    assert directives["User"] == "evidence-agent" and directives["NoNewPrivileges"] == "yes"
    assert directives["ProtectSystem"] == "strict" and directives["ProtectHome"] == "yes"
    assert directives["ReadWritePaths"] == "/var/lib/evidence-agent"
    assert directives["CapabilityBoundingSet"] == ""
    rule = RULE.read_text()
    assert 'UDISKS_MOUNT_OPTIONS_DEFAULTS}="nosuid,nodev,noexec' in rule


def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    tool = debian.tool("systemd-analyze", "systemd")  # skips, saying why, when it cannot be had
    agent = Path(sys.executable).parent / "evidence-agent"
    if not agent.exists():
        pytest.skip(f"no evidence-agent console script beside {sys.executable} to point ExecStart at")
    unit = tmp_path / "evidence-agent.service"  # as installed, with the console script where it really is
    unit.write_text(UNIT.read_text().replace("/usr/bin/evidence-agent", str(agent)))
    done = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "evidence-agent.service" not in done.stderr, done.stderr  # no warning about our unit
