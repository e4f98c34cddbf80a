"""A stand-alone uploader process for kill tests: upload, then release to the camera folder.

    python -m tests.e2e.upload_worker SPOOL SERVER_URL TOKEN_FILE KEY_FINGERPRINT CAMERA_ROOT [LIMIT_BPS]
Exits 0 when no clip is left to upload or release. LIMIT_BPS is the bandwidth limit.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import SimpleNamespace

from edge_agent.core.journal import Journal
from edge_agent.core.receipts import pinned_key
from edge_agent.release.camera_copy import release
from edge_agent.upload.bandwidth import TokenBucket
from edge_agent.upload.server_client import ServerClient
from edge_agent.upload.uploader import Uploader

PROFILE = SimpleNamespace(release="delete", release_full_rehash=False, release_move_to=None)


def main(
    spool: str, url: str, token_file: str, fingerprint: str, camera: str, limit: str | None = None
) -> int:
    journal = Journal(Path(spool) / "journal.sqlite")
    client = ServerClient(url, Path(token_file).read_text().strip(), timeout=10)
    key_path = Path(spool) / "server-key.pem"

    def key():
        return pinned_key(
            key_path, lambda: client.receipt_key()["public_key_pem"], expected_fingerprint=fingerprint
        )

    def let_go(row):
        release(journal, row, volume_root=Path(camera), serial_key="CAM1", key=key(), profile=PROFILE)

    up = Uploader(
        journal,
        client,
        key,
        part_concurrency=3,
        clip_concurrency=2,
        stop=threading.Event(),
        on_receipt=let_go,
        bucket=TokenBucket(float(limit)) if limit else None,
    )
    for row in journal.clips("RECEIPTED"):  # receipted before a crash, not yet released
        let_go(row)
    while journal.clips("SPOOLED", "REGISTERED", "UPLOADED"):
        up.run_once()
    up.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
