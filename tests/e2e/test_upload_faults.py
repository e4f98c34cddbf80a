"""Faults during upload: kills, store and server outages, stalls.

After each, every clip is receipted exactly once, no duplicate object or clip
exists, and no camera copy was released before its receipt.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time

import pytest

from demo.stack import ServerProcess
from hashing import MIN_PART_SIZE
from tests.e2e.conftest import Car
from tests.support.proxy import FaultProxy

SIZES = [3 * MIN_PART_SIZE + 7, 2 * MIN_PART_SIZE, 40_000, 1, MIN_PART_SIZE + 1]


def assert_each_stored_once(car: Car, server: ServerProcess, store) -> None:
    s3, bucket = store
    with server.custodian() as api:
        for row in car.journal.clips():
            assert row.state in ("RECEIPTED", "RELEASED"), (row.relpath, row.state, row.error)
            receipt = json.loads(row.receipt_json)["receipt"]
            found = api.get("/api/v1/clips", params={"sha256": row.sha256}).json()["items"]
            assert len(found) == 1, f"{row.relpath}: {len(found)} clips for one sha256"
            listing = s3.list_object_versions(Bucket=bucket, Prefix=receipt["object_key"])
            versions = listing.get("Versions", [])
            assert len(versions) == 1, f"{row.relpath}: {len(versions)} objects stored"


def run_until_done(up, stop_after: float = 120) -> None:
    deadline = time.monotonic() + stop_after
    while up.pending():
        assert time.monotonic() < deadline, "uploads did not finish"
        up.run_once()


@pytest.mark.slow
def test_agent_killed_mid_upload_ten_times(tmp_path, server, store):
    car = Car(tmp_path, server)
    camera = tmp_path / "camera"
    for i, size in enumerate(SIZES * 2):
        car.spooled_clip(f"CLIP{i:02d}.MP4", size)
    token = tmp_path / "token"
    token.write_text(server.device_token)
    # A car-like 5 MB/s limit makes the ~70 MB take ~14 s, so all ten kills land mid-upload.
    cmd = [
        sys.executable,
        "-m",
        "tests.e2e.upload_worker",
        str(car.spool),
        server.url,
        str(token),
        server.key_fingerprint,
        str(camera),
        str(5_000_000),
    ]
    rng = random.Random(1234)
    kills = 0
    while kills < 10:
        proc = subprocess.Popen(cmd)
        time.sleep(rng.uniform(0.4, 1.6))
        if proc.poll() is not None:
            break
        proc.kill()
        proc.wait()
        kills += 1
        # After every kill: nothing released without a receipt, every camera file still accounted for.
        for row in car.journal.clips():
            on_camera = (camera / row.relpath).exists()
            assert on_camera or (row.state == "RELEASED" and row.receipt_json), row
    assert kills == 10, f"the uploads finished after {kills} kills, before all ten could interrupt them"
    assert subprocess.run(cmd, timeout=300).returncode == 0
    assert_each_stored_once(car, server, store)
    for row in car.journal.clips():
        assert row.state == "RELEASED"
        assert not (camera / row.relpath).exists()
    car.journal.close()


@pytest.fixture
def proxied_store(s3_endpoint, tmp_path):
    """A server whose store (for it and for the car's part PUTs) sits behind a fault proxy."""
    port = int(s3_endpoint.rsplit(":", 1)[1])
    with FaultProxy(port) as proxy:
        srv = ServerProcess(tmp_path / "srv", proxy.url).prepare().start(log=tmp_path / "server.log")
        yield srv, proxy
        srv.stop()


def _outage(proxy: FaultProxy, plan: list[tuple[str, float]]) -> threading.Thread:
    def run():
        for mode, seconds in plan:
            proxy.mode = mode
            time.sleep(seconds)
        proxy.mode = "pass"

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.mark.slow
def test_store_unreachable_for_a_while(tmp_path, proxied_store):
    server, proxy = proxied_store
    car = Car(tmp_path / "car", server)
    for i, size in enumerate(SIZES):
        car.spooled_clip(f"S{i}.MP4", size)
    up = car.uploader(timeout=3.0)
    outage = _outage(proxy, [("refuse", 2.0), ("reset", 2.0), ("stall", 4.0)])
    try:
        run_until_done(up)
    finally:
        up.close()
    outage.join()
    from tests.support.s3server import s3_client

    assert_each_stored_once(car, server, (s3_client(server.s3_endpoint), server.bucket))
    assert car.journal.events(kinds=("upload_retry", "upload_error")), "the outage was never noticed"


@pytest.mark.slow
def test_server_answering_500_for_a_while(tmp_path, server, store):
    port = int(server.url.rsplit(":", 1)[1])
    with FaultProxy(port) as proxy:
        car = Car(tmp_path / "car", server, server_url=proxy.url)
        for i, size in enumerate(SIZES):
            car.spooled_clip(f"F{i}.MP4", size)
        up = car.uploader(timeout=5.0)
        outage = _outage(proxy, [("http500", 3.0)])
        try:
            run_until_done(up)
        finally:
            up.close()
        outage.join()
    assert_each_stored_once(car, server, store)
    events = car.journal.events(kinds=("upload_retry", "upload_error"))
    assert any("500" in e["message"] for e in events)


@pytest.mark.slow
def test_stalled_connection_mid_part(tmp_path, proxied_store):
    from edge_agent.upload.bandwidth import TokenBucket

    server, proxy = proxied_store
    car = Car(tmp_path / "car", server)
    car.spooled_clip("BIG.MP4", 2 * MIN_PART_SIZE + 99)

    class StallsMidPart(TokenBucket):
        """Stalls the store's connection once 3 MiB of part bodies have gone out."""

        sent = 0

        def consume(self, n):
            StallsMidPart.sent += n
            if StallsMidPart.sent > 3 * 1024 * 1024 and not hasattr(self, "stalled"):
                self.stalled = _outage(proxy, [("stall", 4.0)])
            super().consume(n)

    up = car.uploader(timeout=2.0, bucket=StallsMidPart(50 * 1024 * 1024))
    try:
        run_until_done(up)
    finally:
        up.close()
    up.bucket.stalled.join()
    from tests.support.s3server import s3_client

    assert_each_stored_once(car, server, (s3_client(server.s3_endpoint), server.bucket))
    retries = car.journal.events(kinds=("upload_retry", "upload_error"))
    assert any("part" in e["message"] and "Timeout" in e["message"] for e in retries), retries
