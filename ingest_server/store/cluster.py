"""A small SeaweedFS cluster on 127.0.0.1: one master, N volume servers, a filer and an
S3 gateway, each its own `weed` process, sharing one `security.toml` (the four JWT keys
and gRPC mutual TLS, see seaweed.write_security). The scale path of docs/deployment.md
in miniature; the cluster test stores clips through it, stops a volume server and reads
every original back.

Every port explicit, telemetry off, the master's and filer's HTTP APIs off
(`-disableHttp`), and each process registered for clean-up like the embedded store.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ingest_server.store.seaweed import (
    LOOPBACK,
    Credentials,
    free_ports,
    s3_client,
    spawn,
    stop,
    wait_for_s3,
    write_security,
)


@dataclass
class Cluster:
    root: Path
    volumes: int = 2
    replication: str = "001"  # one more copy on another server in the same rack
    credentials: Credentials | None = None
    volume_max: int = 60
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.config_dir = self.root / "config"
        p = iter(free_ports(8 + 2 * self.volumes))
        self.master, self.master_grpc = next(p), next(p)
        self.filer, self.filer_grpc = next(p), next(p)
        self.s3, self.s3_grpc = next(p), next(p)
        self.iceberg_unused, self.lance_unused = next(p), next(p)
        self.volume_ports = [(next(p), next(p)) for _ in range(self.volumes)]

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.s3}"

    @property
    def master_address(self) -> str:
        return f"{LOOPBACK}:{self.master}.{self.master_grpc}"

    def _dir(self, name: str) -> Path:
        d = self.root / name
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o700)
        return d

    def _spawn(self, name: str, args: list[str]) -> None:
        self.procs[name] = spawn([f"-config_dir={self.config_dir}", *args], self.root / f"{name}.log")

    def start_volume(self, i: int) -> None:
        port, grpc = self.volume_ports[i]
        self._spawn(
            f"volume{i}",
            [
                "volume",
                f"-dir={self._dir(f'volume{i}')}",
                f"-ip={LOOPBACK}",
                f"-ip.bind={LOOPBACK}",
                f"-port={port}",
                f"-port.grpc={grpc}",
                f"-master={self.master_address}",
                f"-max={self.volume_max}",
                "-preStopSeconds=0",
            ],
        )

    def stop_volume(self, i: int) -> None:
        stop(self.procs.pop(f"volume{i}"))

    def start(self, timeout: float = 90) -> Cluster:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        self.credentials = write_security(self.config_dir, credentials=self.credentials)
        common = [f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}"]
        self._spawn(
            "master",
            [
                "master",
                *common,
                f"-port={self.master}",
                f"-port.grpc={self.master_grpc}",
                f"-mdir={self._dir('master')}",
                f"-defaultReplication={self.replication}",
                "-volumeSizeLimitMB=64",
                "-telemetry=false",
                "-disableHttp",
            ],
        )
        for i in range(self.volumes):
            self.start_volume(i)
        self._spawn(
            "filer",
            [
                "filer",
                *common,
                f"-port={self.filer}",
                f"-port.grpc={self.filer_grpc}",
                f"-master={self.master_address}",
                f"-defaultStoreDir={self._dir('filer')}",
                f"-defaultReplicaPlacement={self.replication}",
                "-disableDirListing",
                "-disableHttp",
            ],
        )
        self._spawn(
            "s3",
            [
                "s3",
                *common,
                f"-port={self.s3}",
                f"-port.grpc={self.s3_grpc}",
                f"-filer={LOOPBACK}:{self.filer}.{self.filer_grpc}",
                f"-config={self.config_dir / 's3.json'}",
                "-port.iceberg=0",
                "-port.lance=0",
                "-allowDeleteBucketNotEmpty=false",
                "-autoCreateBucket=false",
            ],
        )
        try:
            wait_for_s3(self.endpoint, self.credentials, self.procs["s3"], timeout, self.root / "s3.log")
        except BaseException:
            self.stop()
            raise
        return self

    def client(self):
        return s3_client(self.endpoint, self.credentials)

    def stop(self) -> None:
        for name in ("s3", "filer", *[n for n in self.procs if n.startswith("volume")], "master"):
            proc = self.procs.pop(name, None)
            if proc is not None:
                stop(proc)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
