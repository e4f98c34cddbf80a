"""The scale path in miniature: clips stored through the real upload path (agent uploader,
server process) into a SeaweedFS cluster on loopback (one master, two volume servers,
replication 001, a filer and an S3 gateway, JWT keys and gRPC mTLS), then every original
read back with its sha256 intact through the server with either volume server down:
each clip has a copy on both."""

from __future__ import annotations

import hashlib

import pytest

from demo.stack import ServerProcess
from hashing import MIN_PART_SIZE
from ingest_server.store.cluster import Cluster
from tests.e2e.conftest import Car


@pytest.fixture
def cluster(tmp_path):
    with Cluster(tmp_path / "cluster", volumes=2, replication="001") as c:
        yield c


def _originals(server: ServerProcess) -> dict[str, str]:
    """clip id -> sha256 of the bytes the server serves as its original."""
    out = {}
    with server.custodian() as api:
        for clip in api.get("/api/v1/clips", params={"limit": 200}).json()["items"]:
            h = hashlib.sha256()
            with api.stream("GET", f"/api/v1/clips/{clip['id']}/original") as resp:
                assert resp.status_code == 200, resp.read()
                for chunk in resp.iter_bytes():
                    h.update(chunk)
            out[clip["id"]] = h.hexdigest()
    return out


def test_clips_survive_a_volume_server_down_on_a_replicated_cluster(cluster, tmp_path):
    creds = cluster.credentials
    server = ServerProcess(
        tmp_path / "server", cluster.endpoint, s3_credentials=(creds.access_key_id, creds.secret_access_key)
    )
    server.prepare().start(log=tmp_path / "server.log")
    car = Car(tmp_path / "car", server)
    try:
        sizes = [2 * MIN_PART_SIZE + 777, MIN_PART_SIZE, 4096, 1]
        for n, size in enumerate(sizes):
            car.spooled_clip(f"CLIP{n}.MP4", size, event=n == 0)
        up = car.uploader()
        try:
            assert up.run_once() == len(sizes)
        finally:
            up.close()
        expected = {row.server_clip_id: row.sha256 for row in car.journal.clips()}
        assert len(expected) == len(sizes) and all(r.state == "RECEIPTED" for r in car.journal.clips())
        assert _originals(server) == expected

        cluster.stop_volume(0)
        assert _originals(server) == expected, "with volume server 0 down"
        cluster.start_volume(0)
        cluster.stop_volume(1)
        assert _originals(server) == expected, "with volume server 1 down"
    finally:
        car.journal.close()
        server.stop()
