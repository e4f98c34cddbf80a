"""The upload loop, run by `evidence-agent run` when a server is configured.

One thread with the agent's stop event. Each round: upload every pending clip
(`uploader.Uploader`), then `after_upload`: release receipted clips whose camera
is docked (`release.releaser`, which calls `release.camera_copy`, the one place
that may touch a camera copy) and remove spool copies past their grace period
(`release.spool_cleanup`). A manual upload runs the same rounds and the same
`after_upload`. Live figures go to the agent's status (bytes per second,
bandwidth limit, oldest unreceipted clip).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge_agent.core.clip_state import UPLOAD_PENDING, ClipState
from edge_agent.core.config import AgentSettings
from edge_agent.core.journal import Journal
from edge_agent.core.live_status import RuntimeStatus
from edge_agent.core.receipts import pinned_key
from edge_agent.core.supervision import run_supervised
from edge_agent.release.releaser import Releaser
from edge_agent.release.spool_cleanup import clean_spool
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
        settings: AgentSettings,
        journal: Journal,
        status: RuntimeStatus,
        *,
        stop: threading.Event,
        docked: Callable[[], dict],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.settings, self.journal, self.status, self.stop = settings, journal, status, stop
        self._now = now
        self.client = ServerClient(settings.server_url, read_token(settings.device_token_file))
        key_path = settings.server_key_file or settings.spool_dir / "server-key.pem"
        self._key = None
        self._key_path = key_path
        self.releaser = Releaser(journal, key=self.key, docked=docked, now=now)
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
            on_receipt=self.releaser.release_if_possible,
        )
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
        run_supervised(
            "uploader",
            self.round,
            status=self.status,
            stop=self.stop,
            wait_seconds=lambda: self.settings.upload_poll_seconds,
            record_event=self.journal.record_event,
        )

    def round(self) -> None:
        """One upload round: upload, release, prune, status. A failure is the supervisor's to report."""
        try:
            self.uploader.run_once()
            self.after_upload()
        finally:
            self.update_status()

    # -- after each round: release and spool clean-up -------------------------------------------

    def after_upload(self) -> None:
        """Release what can be released now, then remove spool copies past their grace period."""
        self.releaser.release_receipted()
        self.clean_spool()

    def clean_spool(self) -> list[int]:
        """Remove spool copies whose receipt is older than the grace period. Returns clip ids."""
        return clean_spool(
            self.journal, grace=timedelta(seconds=self.settings.spool_grace_seconds), now=self._now
        )

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
