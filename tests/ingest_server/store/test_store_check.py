"""`evidence-server store check` and the gate `serve` passes first: against the session's
SeaweedFS every property holds; against moto's server (kept for this: it is the example
of a store that keeps none of them) the check fails and the server will not start,
unless EVIDENCE_SERVER_ACCEPT_NONCONFORMING_STORE=true, which the log then names."""

from __future__ import annotations

import os
import subprocess

import pytest

from demo.stack import BIN, ServerProcess, free_port
from tests.support.moto import moto_server


@pytest.fixture(scope="module")
def moto_endpoint():
    with moto_server() as endpoint:
        yield endpoint


def _cli(tmp_path, endpoint: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    full = dict(
        os.environ,
        EVIDENCE_SERVER_DATA_DIR=str(tmp_path / "data"),
        EVIDENCE_SERVER_S3_ENDPOINT_URL=endpoint,
        EVIDENCE_SERVER_S3_BUCKET="evidence-check",
        EVIDENCE_SERVER_S3_ACCESS_KEY_ID="testing",
        EVIDENCE_SERVER_S3_SECRET_ACCESS_KEY="testing",
        **env,
    )
    return subprocess.run(
        [str(BIN / "evidence-server"), *args], env=full, capture_output=True, text=True, timeout=120
    )


def _lines(out: str) -> dict[str, str]:
    """property -> the whole line, for the matrix lines (pass/FAIL first)."""
    rows = [line for line in out.splitlines() if line.startswith(("pass ", "FAIL "))]
    return {line[6:].split("  ")[0].strip(): line for line in rows}


def test_store_check_passes_every_property_on_seaweedfs(tmp_path, s3_endpoint):
    done = _cli(tmp_path, s3_endpoint, "store", "check")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _lines(done.stdout)
    assert len(rows) == 15 and all(line.startswith("pass") for line in rows.values()), done.stdout
    assert "403 SignatureDoesNotMatch" in rows["presigned part: altered part number refused"]
    assert "400 BadDigest" in rows["part PUT with other bytes than its checksum refused"]
    assert "15 of 15 properties hold" in done.stdout


def test_store_check_fails_on_moto_naming_what_it_accepted(tmp_path, moto_endpoint):
    done = _cli(tmp_path, moto_endpoint, "store", "check")
    assert done.returncode == 1, done.stdout + done.stderr
    rows = _lines(done.stdout)
    for name in (
        "part PUT with other bytes than its checksum refused",
        "presigned part: altered part number refused",
        "presigned part: altered expiry refused",
        "presigned part: expired URL refused",
        "COMPLIANCE retention cannot be shortened",
        "locked version cannot be deleted before retain-until",
    ):
        assert rows[name].startswith("FAIL"), done.stdout
    assert rows["part PUT with other bytes than its checksum refused"].endswith("accepted")
    assert "the evidence guarantees rest on FAIL" in done.stdout


def test_serve_refuses_a_failing_store_unless_the_setting_accepts_it(tmp_path, moto_endpoint):
    srv = ServerProcess(tmp_path / "srv", moto_endpoint).prepare()
    refused = subprocess.run(
        [str(BIN / "evidence-server"), "serve", "--port", str(free_port()), "--no-migrate"],
        env=srv.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 3
    assert "not starting" in refused.stderr and "EVIDENCE_SERVER_ACCEPT_NONCONFORMING_STORE" in refused.stderr
    assert "FAIL  COMPLIANCE retention cannot be shortened" in refused.stderr

    srv.extra_env = {"EVIDENCE_SERVER_ACCEPT_NONCONFORMING_STORE": "true"}
    log = tmp_path / "server.log"
    srv.start(log=log)
    try:
        assert "because EVIDENCE_SERVER_ACCEPT_NONCONFORMING_STORE=true" in log.read_text()
    finally:
        srv.stop()
