"""Upload benchmarks, against the embedded SeaweedFS (`weed mini`) on 127.0.0.1.

1. A 1 GiB spooled clip uploaded by the agent (register, presigned part PUTs
   bound to their SHA-256, complete, receipt checked) against `aws s3 cp` of the
   same file to the same SeaweedFS endpoint with `--checksum-algorithm SHA256`.
   One store for the whole run (its data under bench-data/); each round gets a
   fresh server and bucket, the two alternated within a round. The anchor uses
   the CLI's default concurrency (10) and the store's own S3 identity.
2. Dock to receipt: 10 clips of 200 MB appear under a watched dock folder; the
   time until the agent service (offload, upload, receipts) has all ten
   receipted. Random bytes, not video (see bench/offload.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import GIB, data_dir, make_file, median, timed, warm
from demo.stack import BIN, LOOPBACK, ServerProcess
from ingest_server.store.seaweed import EmbeddedStore

ROUNDS = 3


def _car(root: Path, server: ServerProcess, src: Path):
    from edge_agent.core.journal import Journal
    from edge_agent.core.receipts import pinned_key
    from edge_agent.upload.server_client import ServerClient
    from edge_agent.upload.uploader import Uploader
    from hashing import Manifest, copy_and_hash

    spool = root / "spool"
    spool.mkdir(parents=True)
    journal = Journal(spool / "journal.sqlite")
    digest = copy_and_hash(src, spool / "clip.mp4")
    st = src.stat()
    journal.add_spooled(
        source_key=f"bench|{src.name}",
        device_serial="BENCH",
        volume_root=str(src.parent),
        relpath=src.name,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        profile="bench",
        spool_path=str(spool / "clip.mp4"),
        sha256=digest.sha256,
        manifest_json=Manifest.from_digest(digest).dumps(),
        metadata_json={"original_name": src.name},
        flags_json=[],
    )
    client = ServerClient(server.url, server.device_token)
    key = spool / "server-key.pem"
    up = Uploader(
        journal,
        client,
        lambda: pinned_key(key, lambda: client.receipt_key()["public_key_pem"]),
        part_concurrency=10,
        clip_concurrency=1,
        stop=threading.Event(),
    )
    return journal, up


def _server(store: EmbeddedStore, root: Path) -> ServerProcess:
    creds = (store.credentials.access_key_id, store.credentials.secret_access_key)
    return ServerProcess(root, store.endpoint, s3_credentials=creds).prepare().start()


def _aws(store: EmbeddedStore, *args: str) -> None:
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID=store.credentials.access_key_id,
        AWS_SECRET_ACCESS_KEY=store.credentials.secret_access_key,
        AWS_DEFAULT_REGION="us-east-1",
    )
    endpoint = store.endpoint
    done = subprocess.run(
        [str(BIN / "aws"), "s3", *args, "--endpoint-url", endpoint],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"aws s3 {args[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")


def upload_1gib(report, base: Path, store: EmbeddedStore) -> None:
    src = make_file(base / "clip-1g.bin", GIB, seed=11)
    warm(src)
    ours, anchor = [], []
    for i in range(ROUNDS):
        server = _server(store, base / f"server{i}")
        try:
            journal, up = _car(base / f"car{i}", server, src)
            ours.append(timed(lambda up=up: up.run_once() == 1 or sys.exit("upload failed")))
            up.close()
            journal.close()
            bucket = f"s3://anchor-{i}"
            _aws(store, "mb", bucket)
            anchor.append(
                timed(
                    lambda bucket=bucket: _aws(
                        store,
                        "cp",
                        str(src),
                        f"{bucket}/anchor.bin",
                        "--checksum-algorithm",
                        "SHA256",
                        "--only-show-errors",
                    )
                )
            )
        finally:
            server.stop()
        shutil.rmtree(base / f"car{i}", ignore_errors=True)
    o, a = median(ours), median(anchor)
    report("aws s3 cp 1 GiB --checksum-algorithm SHA256 (anchor)", f"{GIB / a / 1e6:.0f} MB/s", "anchor")
    report(
        "agent upload of a 1 GiB clip vs aws s3 cp",
        f"{a / o:.2f}x ({GIB / o / 1e6:.0f} MB/s vs {GIB / a / 1e6:.0f} MB/s, register + part PUTs "
        "+ complete + receipt, same SeaweedFS)",
        "goal >= 1.0",
    )


def dock_to_receipt(report, base: Path, store: EmbeddedStore) -> None:
    from edge_agent.service import Agent

    camera = base / "staging" / "CAM"
    clips = camera / "DCIM" / "100MEDIA"
    clips.mkdir(parents=True)
    for i in range(10):
        make_file(clips / f"CLIP{i:04d}.MP4", 200 * 1000 * 1000, seed=100 + i)
        warm(clips / f"CLIP{i:04d}.MP4")
    dock = base / "dock"
    dock.mkdir()
    server = _server(store, base / "server-dock")
    settings = server.agent_settings(base, dock=dock, quiet_seconds=0.5, rescan_seconds=0.5, thumbnails=False)
    agent = Agent(settings, use_watchdog=True)
    agent.start()
    try:
        start = time.monotonic()
        camera.rename(dock / "CAM")
        while True:
            counts = agent.journal.counts()
            if counts["RECEIPTED"] + counts["RELEASED"] == 10:
                break
            if time.monotonic() - start > 900:
                raise RuntimeError(f"not all receipted after 900 s: {counts}")
            time.sleep(0.1)
        elapsed = time.monotonic() - start
    finally:
        agent.stop()
        server.stop()
    report(
        "dock to receipt, 10 x 200 MB clips",
        f"{elapsed:.1f} s ({2000 / elapsed:.0f} MB/s end to end, incl. the 0.5 s quiet wait)",
        "measured; no goal set",
    )


def run(report) -> None:
    base = data_dir() / "upload"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    try:
        with EmbeddedStore(base / "seaweedfs", volume_max=200, volume_size_limit_mb=1024) as store:
            upload_1gib(report, base, store)
            dock_to_receipt(report, base, store)
    finally:
        shutil.rmtree(base, ignore_errors=True)


assert LOOPBACK == "127.0.0.1"
