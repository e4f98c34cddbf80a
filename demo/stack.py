"""Start the chain's servers on 127.0.0.1: the ingest server (the store, SeaweedFS, is
started by `ingest_server.store.seaweed.EmbeddedStore`).

Used by `make demo` and by the end-to-end tests, so both run the same set-up a
person would: `evidence-server migrate`, `create-user`, `enroll-device`, then
`evidence-server serve`, each a real process. Nothing here listens anywhere but
loopback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

LOOPBACK = "127.0.0.1"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{what} exited with code {proc.returncode} before listening") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on {LOOPBACK}:{port} within {timeout} s") from None
            time.sleep(0.05)


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class ServerProcess:
    """An ingest server with its own data folder, one device and one custodian."""

    data_dir: Path
    s3_endpoint: str
    bucket: str = field(default_factory=lambda: f"evidence-{uuid.uuid4().hex[:10]}")
    port: int = field(default_factory=free_port)
    device_name: str = "car-17"
    vehicle_id: str = "V17"
    device_token: str = ""
    key_fingerprint: str = ""
    custodian_name: str = field(default_factory=lambda: f"custodian-{uuid.uuid4().hex[:6]}")
    custodian_token: str = ""
    s3_credentials: tuple[str, str] = ("testing", "testing")  # access key id, secret (the tests' store)
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return (
            dict(
                os.environ,
                EVIDENCE_SERVER_DATA_DIR=str(self.data_dir),
                EVIDENCE_SERVER_S3_ENDPOINT_URL=self.s3_endpoint,
                EVIDENCE_SERVER_S3_BUCKET=self.bucket,
                EVIDENCE_SERVER_S3_ACCESS_KEY_ID=self.s3_credentials[0],
                EVIDENCE_SERVER_S3_SECRET_ACCESS_KEY=self.s3_credentials[1],
            )
            | self.extra_env
        )

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [str(BIN / "evidence-server"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            input=stdin,
        )
        if done.returncode != 0:
            raise RuntimeError(f"evidence-server {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def prepare(self) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.cli("migrate")
        enrolled = self.cli("enroll-device", self.device_name, "--vehicle-id", self.vehicle_id).strip()
        self.device_token = enrolled.splitlines()[-1]
        # what the car is configured with at enrollment: its receipts' key is never taken on trust
        self.key_fingerprint = next(
            line.rsplit(" ", 1)[1]
            for line in enrolled.splitlines()
            if line.startswith("receipt key fingerprint")
        )
        self.custodian_token = (
            self.cli("create-user", self.custodian_name, "--role", "custodian").strip().splitlines()[-1]
        )
        return self

    def set_password(self, username: str, password: str) -> None:
        self.cli("portal", "set-password", username, "--stdin", stdin=password + "\n")

    def start(self, log: Path | None = None) -> ServerProcess:
        out = open(log, "ab") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [
                str(BIN / "evidence-server"),
                "serve",
                "--host",
                LOOPBACK,
                "--port",
                str(self.port),
                "--no-migrate",
            ],
            env=self.env,
            stdout=out,
            stderr=out,
        )
        wait_for_port(self.port, self.proc, "ingest server")
        deadline = time.monotonic() + 30
        while httpx.get(f"{self.url}/api/v1/health", timeout=5).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("ingest server is not healthy")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def agent_settings(self, root: Path, *, dock: Path, **overrides):
        """Settings of an agent that docks under `dock`, spools under `root/spool` and uploads to this
        server with its device token (written to a file, as on a car). Short waits, for tests."""
        from edge_agent.core.config import load_settings

        token = root / "device-token"
        token.write_text(self.device_token + "\n")
        os.chmod(token, 0o600)
        defaults = {
            "mount_roots": [dock],
            "spool_dir": root / "spool",
            "quiet_seconds": 0.2,
            "rescan_seconds": 0.3,
            "min_free_bytes": 0,
            "upload_poll_seconds": 0.2,
            "server_url": self.url,
            "server_key_fingerprint": self.key_fingerprint,
            "device_token_file": token,
        }
        return load_settings(**(defaults | overrides))

    def custodian(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.custodian_token}"}, timeout=60
        )
