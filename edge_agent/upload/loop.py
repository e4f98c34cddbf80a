"""The upload loop, run by `evidence-agent run` when a server is configured.

One thread with the agent's stop event. Each round: upload every pending clip
(`uploader.Uploader`), then `after_upload`: release receipted clips whose camera
is docked (`release.releaser`, which calls `release.camera_copy`, the one place
that may touch a camera copy) and remove spool copies past their grace period
(`release.spool_cleanup`), after the clips' signed custody events are sent
(`custody_sender`). A manual upload runs the same rounds and the same
`after_upload`. Live figures go to the agent's status (bytes per second,
bandwidth limit, oldest unreceipted clip).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge_agent.core.clip_state import UPLOAD_PENDING, ClipState
from edge_agent.core.config import AgentSettings
from edge_agent.core.device_key import key_path, load_or_create_key
from edge_agent.core.journal import Journal
from edge_agent.core.live_status import RuntimeStatus
from edge_agent.core.receipts import server_key
from edge_agent.core.server_trust import check_token_file, tls_verify
from edge_agent.core.supervision import Paused, run_supervised
from edge_agent.release.releaser import Releaser
from edge_agent.release.spool_cleanup import clean_spool
from edge_agent.upload.bandwidth import TokenBucket
from edge_agent.upload.custody_sender import CustodySender
from edge_agent.upload.server_client import ServerClient, TokenRefused
from edge_agent.upload.uploader import Uploader

log = logging.getLogger(__name__)

TOKEN_RETRY_SECONDS = 60.0  # a refused token is tried again this often (at once when its file changes)


def read_token(path: Path) -> str:
    check_token_file(path)  # TrustError: readable by others
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
        self.client = ServerClient(
            settings.server_url, read_token(settings.device_token_file), verify=tls_verify(settings.ca_file)
        )
        self._key = None
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
            max_refusals=settings.max_attempts,
        )
        device_key, created = load_or_create_key(
            key_path(settings.device_key_file, settings.device_token_file)
        )
        if created:
            log.info("device key created: %s", device_key.fingerprint)
        self.custody = CustodySender(journal, lambda: self.client, device_key, vehicle_id=settings.vehicle_id)
        self._token = read_token(settings.device_token_file)
        self._token_refused: str | None = None  # why uploads are paused, while the token is refused
        self._token_checked = 0.0
        self._thread = threading.Thread(target=self._loop, name="uploader", daemon=True)

    def key(self):
        if self._key is None:
            self._key = server_key(self.settings, lambda: self.client.receipt_key()["public_key_pem"])
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
            if self._token_refused and not self._token_retry_due():
                raise Paused(self._token_refused)
            try:
                self.uploader.run_once()
            except TokenRefused as exc:
                self._token_refused = (
                    f"uploads paused: the server refused this device's token ({exc}); it was revoked or "
                    f"replaced. Enrol the device again and write the new token to "
                    f"{self.settings.device_token_file}; nothing is lost, clips wait in the spool"
                )
                self.journal.record_event("token_refused", self._token_refused)
                raise Paused(self._token_refused) from exc
            if self._token_refused:
                self.journal.record_event("token_accepted", "the server accepts the device token again")
            self._token_refused = None
            self.after_upload()
        finally:
            self.update_status()

    def _token_retry_due(self) -> bool:
        """While the token is refused: try again at once when the token file changes, else each minute."""
        try:
            token = read_token(self.settings.device_token_file)
        except (OSError, ValueError):
            token = self._token
        if token != self._token:
            self._token = token
            self.client.use_token(token)
            return True
        now = time.monotonic()
        if now - self._token_checked >= TOKEN_RETRY_SECONDS:
            self._token_checked = now
            return True
        return False

    # -- after each round: release and spool clean-up -------------------------------------------

    def after_upload(self) -> None:
        """Release what can be released now, then remove spool copies past their grace period."""
        self.releaser.release_receipted()
        self.custody.send()
        self.clean_spool()

    def clean_spool(self) -> list[int]:
        """Remove spool copies whose receipt is older than the grace period. Returns clip ids."""
        return clean_spool(
            self.journal, grace=timedelta(seconds=self.settings.spool_grace_seconds), now=self._now
        )

    # -- status --------------------------------------------------------------------------------

    def update_status(self) -> None:
        pending = self.journal.waiting(ClipState.DISCOVERED, *UPLOAD_PENDING)
        oldest = min(pending, key=lambda r: r.created_at, default=None)
        age = None
        if oldest is not None:
            age = (self._now() - datetime.fromisoformat(oldest.created_at)).total_seconds()
        self.status.upload = {
            "server": self.settings.server_url,
            "bandwidth_limit_bps": self.settings.bandwidth_limit_bps,
            "bytes_per_second": round(self.uploader.meter.rate(), 1),
            "bytes_sent": self.uploader.meter.total,
            "paused": self._token_refused,
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
