"""The real chain on loopback: moto, an ingest server process, an agent journal and spool."""

from __future__ import annotations

import json
import os
import random
import threading
from pathlib import Path

import pytest

from demo.stack import ServerProcess
from edge_agent.core.journal import Journal
from edge_agent.core.receipts import pinned_key
from edge_agent.upload.server_client import ServerClient
from edge_agent.upload.uploader import Uploader
from hashing import MIN_PART_SIZE, Manifest, copy_and_hash
from tests.support.media import mp4_like
from tests.support.s3server import s3_client


@pytest.fixture(scope="module")
def server(s3_endpoint, tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("server"), s3_endpoint).prepare()
    srv.start(log=tmp_path_factory.getbasetemp() / "server.log")
    yield srv
    srv.stop()


@pytest.fixture
def store(server):
    return s3_client(server.s3_endpoint), server.bucket


class Car:
    """An agent's spool and journal, and helpers to put clips in it as offload would."""

    def __init__(self, root: Path, server: ServerProcess, server_url: str | None = None):
        self.root = root
        self.spool = root / "spool"
        self.spool.mkdir(parents=True)
        self.journal = Journal(self.spool / "journal.sqlite")
        self.server = server
        self.server_url = server_url or server.url
        self.rng = random.Random(7)

    def spooled_clip(self, name: str, size: int, *, event: bool = False, officer: str = "B1234") -> int:
        camera = self.root / "camera"
        camera.mkdir(exist_ok=True)
        src = camera / name
        src.write_bytes(mp4_like(self.rng.randbytes(size)))
        dst = self.spool / f"{name}.spool"
        digest = copy_and_hash(src, dst, MIN_PART_SIZE)
        st = os.stat(src)
        return self.journal.add_spooled(
            source_key=json.dumps(["CAM1", name, size, st.st_mtime_ns]),
            device_serial="CAM1",
            volume_root=str(camera),
            relpath=name,
            size=size,
            mtime_ns=st.st_mtime_ns,
            profile="generic-dcim",
            spool_path=str(dst),
            sha256=digest.sha256,
            manifest_json=Manifest.from_digest(digest).dumps(),
            metadata_json={
                "officer_id": officer,
                "camera_start": "2026-11-24T20:00:00+00:00",
                "original_name": name,
                "probe": {"duration_seconds": 3.0},
            },
            flags_json=["event"] if event else [],
            clock_offset_seconds=2.5,
        )

    def client(self, timeout: float = 30.0) -> ServerClient:
        return ServerClient(self.server_url, self.server.device_token, timeout=timeout)

    def uploader(self, **kwargs) -> Uploader:
        client = self.client(kwargs.pop("timeout", 30.0))
        key_path = self.spool / "server-key.pem"
        return Uploader(
            self.journal,
            client,
            lambda: pinned_key(
                key_path,
                lambda: client.receipt_key()["public_key_pem"],
                expected_fingerprint=self.server.key_fingerprint,
            ),
            stop=kwargs.pop("stop", threading.Event()),
            **kwargs,
        )


@pytest.fixture
def car(tmp_path, server):
    c = Car(tmp_path, server)
    yield c
    c.journal.close()
