"""Ingest server benchmarks (no target set): register + complete round trip p50 / p99
over real HTTP (uvicorn + SeaweedFS on 127.0.0.1, SQLite), and search p99 with 1M clips
in the index.

Sizes: EVIDENCE_BENCH_ROUND_TRIPS (default 200 clips of 64 KiB) and
EVIDENCE_BENCH_CLIPS (default 1,000,000 index rows, bulk-inserted directly).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import uvicorn

from bench.common import data_dir
from hashing import Manifest, digest_bytes
from ingest_server import migrate
from ingest_server.app import build_context, create_app
from ingest_server.auth import service as auth_service
from ingest_server.clips.models import Clip
from ingest_server.settings import Settings
from ingest_server.store.seaweed import EmbeddedStore
from tests.support.media import FTYP
from tests.support.s3server import free_port

ROUND_TRIPS = int(os.environ.get("EVIDENCE_BENCH_ROUND_TRIPS", "200"))
INDEX_CLIPS = int(os.environ.get("EVIDENCE_BENCH_CLIPS", "1000000"))
NO_TARGET = "no target set: reported for comparison"


def _pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def _serve(ctx):
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(context=ctx), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait = threading.Event()
    while not server.started:
        wait.wait(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


def _round_trips(http: httpx.Client, device: dict) -> list[float]:
    times = []
    for i in range(ROUND_TRIPS):
        data = FTYP + os.urandom(64 * 1024 - len(FTYP))  # the server sniffs an MP4 header
        manifest = Manifest.from_digest(digest_bytes(data, 8 * 1024 * 1024))
        started = time.perf_counter()
        reg = http.post(
            "/api/v1/uploads/register",
            headers=device,
            json={"manifest": manifest.as_dict(), "metadata": {"original_name": f"b{i}.mp4"}},
        )
        reg.raise_for_status()
        elapsed = time.perf_counter() - started
        part = reg.json()["parts"][0]
        put = httpx.put(part["url"], content=data, headers={"x-amz-checksum-sha256": part["checksum_sha256"]})
        put.raise_for_status()
        started = time.perf_counter()
        done = http.post(
            f"/api/v1/uploads/{reg.json()['clip_id']}/complete",
            headers=device,
            json={"parts": [{"part_number": 1, "etag": put.headers["etag"]}]},
        )
        done.raise_for_status()
        times.append(elapsed + time.perf_counter() - started)
    return times


def _fill_index(ctx, device_id: str, count: int) -> None:
    rng = random.Random(1)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    table = Clip.__table__
    batch = 20_000
    with ctx.engine.begin() as conn:
        for first in range(0, count, batch):
            rows = []
            for n in range(first, min(first + batch, count)):
                sha = f"{n:064x}"
                when = start + timedelta(seconds=rng.randrange(365 * 86400))
                rows.append(
                    {
                        "id": uuid.uuid4().hex,
                        "device_id": device_id,
                        "sha256": sha,
                        "size": 1,
                        "part_size": 1,
                        "composite": "x",
                        "manifest_json": "{}",
                        "state": "stored",
                        "object_key": f"o/{n}",
                        "officer_id": f"B{rng.randrange(800):04d}",
                        "vehicle_id": f"V{rng.randrange(400):03d}",
                        "original_name": "a.mp4",
                        "corrected_start": when,
                        "camera_start": when,
                        "flags_json": "[]",
                        "category": "unclassified",
                        "registered_at": when,
                        "row_version": 1,
                    }
                )
            conn.execute(table.insert(), rows)


def _searches(http: httpx.Client, custodian: dict) -> list[float]:
    rng = random.Random(2)
    times = []
    for i in range(300):
        day = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(360))
        params = [
            {"officer_id": f"B{rng.randrange(800):04d}"},
            {
                "officer_id": f"B{rng.randrange(800):04d}",
                "recorded_from": day.isoformat(),
                "recorded_to": (day + timedelta(days=7)).isoformat(),
            },
            {
                "vehicle_id": f"V{rng.randrange(400):03d}",
                "recorded_from": day.isoformat(),
                "recorded_to": (day + timedelta(days=1)).isoformat(),
            },
            {"sha256": f"{rng.randrange(INDEX_CLIPS):064x}"},
        ][i % 4]
        started = time.perf_counter()
        http.get("/api/v1/clips", headers=custodian, params=params).raise_for_status()
        times.append(time.perf_counter() - started)
    return times


def run(report) -> None:
    work = data_dir() / f"server-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        with EmbeddedStore(work / "store") as store:
            settings = Settings(
                data_dir=work,
                s3_endpoint_url=store.endpoint,
                s3_access_key_id=store.credentials.access_key_id,
                s3_secret_access_key=store.credentials.secret_access_key,
                s3_bucket=f"bench-{uuid.uuid4().hex[:8]}",
            )
            migrate.upgrade(settings.db_url)
            ctx = build_context(settings)
            with ctx.sessions() as session:
                _, admin = auth_service.create_user(
                    session=session, username="c", role="custodian", officer_id=None, actor="bench"
                )
                dev, device = auth_service.enroll_device(
                    session=session, name="car", vehicle_id="V1", actor="bench"
                )
            server, thread, base = _serve(ctx)
            try:
                with httpx.Client(base_url=base, timeout=60) as http:
                    trips = _round_trips(http, {"Authorization": f"Bearer {device}"})
                    report("server register+complete p50", f"{_pct(trips, 50) * 1000:.1f} ms", NO_TARGET)
                    report("server register+complete p99", f"{_pct(trips, 99) * 1000:.1f} ms", NO_TARGET)
                    started = time.monotonic()
                    _fill_index(ctx, dev.id, INDEX_CLIPS)
                    report(
                        "server index fill",
                        f"{INDEX_CLIPS} clips in {time.monotonic() - started:.0f} s",
                        "setup",
                    )
                    found = _searches(http, {"Authorization": f"Bearer {admin}"})
                    report(
                        f"server search p50 at {INDEX_CLIPS} clips",
                        f"{_pct(found, 50) * 1000:.1f} ms",
                        NO_TARGET,
                    )
                    report(
                        f"server search p99 at {INDEX_CLIPS} clips",
                        f"{_pct(found, 99) * 1000:.1f} ms",
                        NO_TARGET,
                    )
            finally:
                server.should_exit = True
                thread.join(10)
                ctx.engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run(lambda name, value, goal: print(json.dumps([name, value, goal])))
