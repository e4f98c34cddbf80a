"""A spool with SPOOLED clips and an upload service wired to the in-process fake server."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import pytest

from edge_agent.core.config import AgentSettings
from edge_agent.core.journal import Journal
from edge_agent.core.live_status import RuntimeStatus
from edge_agent.upload.loop import UploadService
from hashing import MIN_PART_SIZE, Manifest, hash_file
from tests.support.fake_server import FakeServer


def add_spooled(
    journal: Journal, spool, name: str, *, size: int = MIN_PART_SIZE + 7, flags=(), serial="CAM1"
):
    path = spool / f"{name}.mp4"
    path.write_bytes(os.urandom(size))
    digest = hash_file(path, MIN_PART_SIZE)
    return journal.add_spooled(
        source_key=f"{serial}/{name}",
        device_serial=serial,
        relpath=f"DCIM/{name}.MP4",
        size=size,
        spool_path=str(path),
        sha256=digest.sha256,
        manifest_json=Manifest.from_digest(digest).dumps(),
        flags_json=list(flags),
    )


@pytest.fixture
def upload_env(tmp_path):
    server = FakeServer()
    spool = tmp_path / "spool"
    spool.mkdir()
    token = tmp_path / "token"
    token.write_text("device-token")
    token.chmod(0o600)
    key = tmp_path / "server-key.pem"
    key.write_text(server.public_pem)
    settings = AgentSettings(
        mount_roots=[tmp_path / "media"],
        spool_dir=spool,
        server_url="http://127.0.0.1:18801",  # never contacted: the fake server stands in
        device_token_file=token,
        server_key_file=key,
        upload_poll_seconds=0.05,
        min_free_bytes=0,
    )
    journal = Journal(spool / "journal.sqlite")
    status = RuntimeStatus()
    stop = threading.Event()
    services = []

    def service(**kw) -> UploadService:
        svc = UploadService(settings.model_copy(update=kw), journal, status, stop=stop, docked=dict)
        svc.client.close()
        svc.client = svc.uploader.client = server
        services.append(svc)
        return svc

    env = SimpleNamespace(
        server=server,
        spool=spool,
        journal=journal,
        status=status,
        stop=stop,
        service=service,
        add=lambda name, **kw: add_spooled(journal, spool, name, **kw),
    )
    yield env
    stop.set()
    for svc in services:
        svc.join(10)
    journal.close()
