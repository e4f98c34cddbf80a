"""The agent's upload side, run by `evidence-agent run` when a server is configured.

One thread with the agent's stop event: upload every pending clip (the
uploader), release receipted clips whose camera is docked (release.py, the one
place that may touch a camera copy), and remove spool copies (clip and thumbnail;
sidecar copies stay, as the server takes only what was read from them) once
their receipt is older than the grace period. UVC segments were recorded straight into the
spool and have no camera copy: their release only records that. Live figures go
to the agent's status (bytes per second, bandwidth limit, oldest unreceipted clip).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge_agent.core.clip_state import UPLOAD_PENDING, ClipState
from edge_agent.core.journal import ClipRow, Journal
from edge_agent.core.live_status import RuntimeStatus
from edge_agent.core.receipts import pinned_key
from edge_agent.release.camera_copy import release
from edge_agent.upload.bandwidth import TokenBucket
from edge_agent.upload.server_client import ServerClient
from edge_agent.upload.uploader import Uploader

log = logging.getLogger(__name__)


def read_token(path: Path) -> str:
    token = Path(path).read_text().strip()
    if not token:
        raise ValueError(f"device token file {path} is empty")
    return token


class UploadService:
    def __init__(
        self,
        settings,
        journal: Journal,
        status: RuntimeStatus,
        *,
        stop: threading.Event,
        docked: Callable[[], dict],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.settings, self.journal, self.status, self.stop = settings, journal, status, stop
        self._docked = docked  # {root: DockedVolume} of the volumes docked now
        self._now = now
        self.client = ServerClient(settings.server_url, read_token(settings.device_token_file))
        key_path = settings.server_key_file or settings.spool_dir / "server-key.pem"
        self._key = None
        self._key_path = key_path
        bucket = TokenBucket(settings.bandwidth_limit_bps) if settings.bandwidth_limit_bps else None
        self.uploader = Uploader(
            journal,
            self.client,
            self.key,
            vehicle_id=settings.vehicle_id,
            part_concurrency=settings.upload_concurrency,
            clip_concurrency=settings.clip_concurrency,
            bucket=bucket,
            stop=stop,
            on_receipt=self.release_if_possible,
        )
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="uploader", daemon=True)

    def key(self):
        if self._key is None:
            self._key = pinned_key(self._key_path, lambda: self.client.receipt_key()["public_key_pem"])
        return self._key

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread.ident is not None:
            self._thread.join(timeout)
        self.uploader.close()
        self.client.close()

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                self.uploader.run_once()
                for row in self.journal.clips(ClipState.RECEIPTED):
                    self.release_if_possible(row)
                self.clean_spool()
            except Exception as exc:  # reported; the journal keeps every clip where it was
                log.exception("upload round failed")
                self.journal.record_event("error", f"upload round failed: {exc}")
            self.update_status()
            self.stop.wait(self.settings.upload_poll_seconds)

    # -- release -------------------------------------------------------------------------------

    def release_if_possible(self, row: ClipRow) -> None:
        """Release a receipted clip now if its camera is docked; otherwise at its next dock."""
        with self._lock:
            row = self.journal.get(row.id)
            if row.state != ClipState.RECEIPTED:
                return
            if row.kind == "segment":
                self.journal.transition(
                    row.id,
                    ClipState.RECEIPTED,
                    ClipState.RELEASED,
                    released_at=self._now().isoformat(),
                    release_action="none: recorded into the spool, no camera copy",
                )
                return
            for volume in list(self._docked().values()):
                if volume.serial_key == row.device_serial:
                    release(
                        self.journal,
                        row,
                        volume_root=volume.root,
                        serial_key=volume.serial_key,
                        key=self.key(),
                        profile=volume.profile,
                        now=self._now,
                    )
                    return

    def on_docked(self, volume) -> None:
        for row in self.journal.clips(ClipState.RECEIPTED):
            if row.device_serial == volume.serial_key:
                self.release_if_possible(row)

    # -- spool ---------------------------------------------------------------------------------

    def clean_spool(self) -> list[int]:
        """Remove spool copies whose receipt is older than the grace period. Returns clip ids."""
        grace = timedelta(seconds=self.settings.spool_grace_seconds)
        removed = []
        for row in self.journal.clips(ClipState.RECEIPTED, ClipState.RELEASED):
            if row.spool_removed_at or not row.receipt_json:
                continue
            stored_at = datetime.fromisoformat(json.loads(row.receipt_json)["receipt"]["stored_at"])
            if self._now() - stored_at < grace:
                continue
            # Sidecar copies stay: the server does not take sidecar files yet, only what was read from them.
            for p in filter(None, [row.spool_path, row.metadata.get("thumbnail")]):
                try:
                    os.unlink(p)
                except FileNotFoundError:
                    pass
            self.journal.transition(row.id, row.state, row.state, spool_removed_at=self._now().isoformat())
            self.journal.record_event(
                "spool_removed",
                f"clip {row.id}: spool copy removed, receipt for sha256 {row.sha256} is older than {grace}",
                row.spool_path,
            )
            removed.append(row.id)
        return removed

    # -- status --------------------------------------------------------------------------------

    def update_status(self) -> None:
        pending = self.journal.clips(ClipState.DISCOVERED, *UPLOAD_PENDING)
        oldest = min(pending, key=lambda r: r.created_at, default=None)
        age = None
        if oldest is not None:
            age = (self._now() - datetime.fromisoformat(oldest.created_at)).total_seconds()
        self.status.upload = {
            "server": self.settings.server_url,
            "bandwidth_limit_bps": self.settings.bandwidth_limit_bps,
            "bytes_per_second": round(self.uploader.meter.rate(), 1),
            "bytes_sent": self.uploader.meter.total,
            "oldest_unreceipted": None
            if oldest is None
            else {
                "id": oldest.id,
                "relpath": oldest.relpath,
                "state": oldest.state,
                "since": oldest.created_at,
                "age_seconds": round(age or 0, 1),
            },
        }
