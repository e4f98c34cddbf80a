"""The car's custody-signing key: created once at enrollment, 0600, never replaced, refused if
others can read it."""

from __future__ import annotations

import base64
import json
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from edge_agent.cli import app
from edge_agent.core.device_key import canonical, key_path, load_or_create_key
from edge_agent.core.server_trust import TrustError


def test_the_key_is_created_private_once_and_kept(tmp_path):
    path = key_path(None, tmp_path / "state" / "token")
    assert path == tmp_path / "state" / "device-key.pem"  # next to the device token
    key, created = load_or_create_key(path)
    assert created and stat.S_IMODE(path.stat().st_mode) == 0o600
    again, created_again = load_or_create_key(path)
    assert not created_again and again.fingerprint == key.fingerprint

    public = serialization.load_pem_public_key(key.public_pem.encode())
    payload = {"kind": "docked", "seq": 1, "details": {"camera_serial": "SN1"}}
    public.verify(base64.b64decode(key.sign(payload)), canonical(payload))  # raises if not


def test_a_key_others_can_read_is_refused(tmp_path):
    path = tmp_path / "device-key.pem"
    load_or_create_key(path)
    path.chmod(0o644)
    with pytest.raises(TrustError, match="readable by others"):
        load_or_create_key(path)


def test_evidence_agent_enroll_creates_the_key_and_keeps_it(tmp_path):
    config = tmp_path / "agent.json"
    token = tmp_path / "token"
    token.write_text("evd_x")
    token.chmod(0o600)
    config.write_text(
        json.dumps(
            {
                "spool_dir": str(tmp_path / "spool"),
                "mount_roots": [str(tmp_path)],
                "device_token_file": str(token),
            }
        )
    )
    first = CliRunner().invoke(app, ["enroll", "--config", str(config)])
    assert first.exit_code == 0, first.output
    assert "device key created" in first.stdout and "no server configured" in first.stdout
    second = CliRunner().invoke(app, ["enroll", "--config", str(config)])
    assert "device key kept" in second.stdout
    fingerprint = first.stdout.split("(")[1].split(")")[0]
    assert fingerprint in second.stdout and fingerprint.startswith("sha256:")
