"""The embedded SeaweedFS as started by ingest_server.store.seaweed (demo, tests, bench):
loopback only, signed requests only, private files, state kept across a restart, and no
process left behind when its owner is interrupted or killed."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from ingest_server.store.seaweed import EmbeddedStore, s3_client


def _listening(pid: int) -> set[str]:
    """host:port of every TCP socket process `pid` listens on (from /proc, IPv4 and IPv6)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:  # LISTEN
                addr, port = cols[1].split(":")
                if width == 8:
                    host = ".".join(str(int(addr[i : i + 2], 16)) for i in (6, 4, 2, 0))
                else:
                    host = "v6:" + addr
                found.add(f"{host}:{int(port, 16)}")
    return found


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with EmbeddedStore(tmp_path_factory.mktemp("embedded")) as s:
        yield s


def test_it_listens_on_loopback_only_on_the_ports_it_was_given(store):
    listening = _listening(store.proc.pid)
    assert listening and all(a.startswith("127.0.0.1:") for a in listening), listening
    ports = {int(a.rsplit(":", 1)[1]) for a in listening}
    assert ports <= set(vars(store.ports).values()), (ports, store.ports)
    assert store.ports.s3 in ports


def test_only_its_generated_identity_may_write(store):
    creds = store.credentials
    assert creds.access_key_id.startswith("evidence-") and len(creds.secret_access_key) > 30
    anonymous = httpx.put(f"{store.endpoint}/store-readiness/anonymous", content=b"x")
    assert anonymous.status_code == 403
    forged = s3_client(store.endpoint, type(store.credentials)(store.credentials.access_key_id, "wrong"))
    with pytest.raises(ClientError) as refused:
        forged.put_object(Bucket="store-readiness", Key="forged", Body=b"x")
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_keys_and_data_are_the_service_users_alone(store):
    for d in (store.root, store.config_dir, store.config_dir / "tls", store.data_dir):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    config = store.config_dir
    secrets = [config / "security.toml", config / "s3.json", *config.glob("tls/*")]
    assert len(secrets) > 20
    for f in secrets:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    dat = list(store.data_dir.glob("*.dat"))
    assert dat and all(stat.S_IMODE(f.stat().st_mode) & 0o077 == 0 for f in dat), dat
    toml = (store.config_dir / "security.toml").read_text()
    for section in ("[jwt.signing]", "[jwt.signing.read]", "[jwt.filer_signing]", "[jwt.filer_signing.read]"):
        assert section in toml
    assert "[grpc.client]" in toml and "[grpc.master]" in toml


def test_objects_and_credentials_survive_a_restart(store):
    s3 = store.client()
    s3.put_object(Bucket="store-readiness", Key="kept", Body=b"kept across a restart")
    creds, endpoint = store.credentials, store.endpoint
    store.restart()
    assert (store.credentials, store.endpoint) == (creds, endpoint)
    assert s3.get_object(Bucket="store-readiness", Key="kept")["Body"].read() == b"kept across a restart"


OWNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ingest_server.store.seaweed import EmbeddedStore
    store = EmbeddedStore(Path(sys.argv[1])).start()
    print(store.proc.pid, flush=True)
    time.sleep(600)
    """
)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_no_weed_is_left_behind_when_its_owner_is_stopped(tmp_path, how):
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path / "store")],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.getcwd()),
    )
    weed = int(owner.stdout.readline())
    assert Path(f"/proc/{weed}").exists()
    owner.send_signal(how)
    owner.wait(30)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{weed}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = Path(f"/proc/{weed}").exists() and "Z" not in Path(f"/proc/{weed}/stat").read_text().split()[2]
    assert not alive, f"weed {weed} still running after the owner got {how.name}"
