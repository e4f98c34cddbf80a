"""The uploader: spooled clips to the ingest server, resumable from the journal.

For each clip, event-flagged first and then oldest first:
SPOOLED --register--> REGISTERED --PUT parts--> UPLOADED --complete--> RECEIPTED.
Re-registering is idempotent on the server (device, sha256), so after a crash,
a network cut or an outage the agent registers again, gets fresh part URLs and
the list of parts present, and sends only what is missing (parts whose ETag the
ledger holds are not sent again). A receipt counts only after its signature and
its sha256/size are checked. Part bytes are read from the spool copy, never the
camera. Clips go `clip_concurrency` at a time; parts `part_concurrency` at a time.
The clip's sidecars go with it (upload/sidecars.py): declared at register, PUT before
complete, covered by the same receipt.
A register answered `verifying` (the server assembled the upload and a completion is
checking it, e.g. our own earlier completion that timed out) means nothing is sent: the
agent asks complete again, which answers the receipt or UploadBusy (wait its
Retry-After; when the attempts run out the clip waits for the next round, never counted
as a refusal).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from edge_agent.core import sidecar_copies
from edge_agent.core.clip_state import UPLOAD_PENDING, ClipState
from edge_agent.core.journal import ClipRow, Journal, JournalError
from edge_agent.core.receipts import ReceiptError, verify_receipt
from edge_agent.upload import sidecars
from edge_agent.upload.bandwidth import TokenBucket, Unlimited
from edge_agent.upload.clip_metadata import register_metadata
from edge_agent.upload.part_ledger import PartLedger
from edge_agent.upload.retry import Stopped, with_retries
from edge_agent.upload.server_client import ChecksumRefused, ServerClient, ServerError, TokenRefused
from hashing import verify_file
from hashing.manifest import loads as manifest_from_json

log = logging.getLogger(__name__)


def priority(row: ClipRow) -> tuple:
    """Event-flagged clips first, then oldest first."""
    return (0 if "event" in row.flags else 1, row.created_at, row.id)


class RateMeter:
    """Bytes sent, and the rate over the last few seconds, for the status."""

    def __init__(self, window: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self._clock, self._window = clock, window
        self._samples: list[tuple[float, int]] = []
        self._lock = threading.Lock()
        self.total = 0

    def add(self, n: int) -> None:
        with self._lock:
            now = self._clock()
            self.total += n
            self._samples.append((now, n))
            self._samples = [(t, b) for t, b in self._samples if now - t <= self._window]

    def rate(self) -> float:
        with self._lock:
            now = self._clock()
            recent = [b for t, b in self._samples if now - t <= self._window]
        return sum(recent) / self._window


class Uploader:
    def __init__(
        self,
        journal: Journal,
        client: ServerClient,
        key_provider: Callable[[], object],
        *,
        vehicle_id: str | None = None,
        part_concurrency: int = 4,
        clip_concurrency: int = 2,
        bucket: TokenBucket | None = None,
        stop: threading.Event | None = None,
        on_receipt: Callable[[ClipRow], None] | None = None,
        attempts: int = 8,
        max_refusals: int = 5,
    ):
        self.journal = journal
        self.attempts = attempts  # per network step, before the clip waits for the next round
        self.max_refusals = max_refusals  # non-retryable 4xx in a row before the clip is quarantined
        self.client = client
        self._key = key_provider
        self.vehicle_id = vehicle_id
        self.bucket = bucket or Unlimited()
        self.stop = stop or threading.Event()
        self.ledger = PartLedger(journal.path)
        self.meter = RateMeter()
        self.on_receipt = on_receipt
        self._parts_pool = ThreadPoolExecutor(part_concurrency, thread_name_prefix="part")
        self._clip_concurrency = clip_concurrency

    def close(self) -> None:
        self._parts_pool.shutdown(wait=True, cancel_futures=True)
        self.ledger.close()

    def pending(self) -> list[ClipRow]:
        return sorted(self.journal.clips(*UPLOAD_PENDING), key=priority)

    def run_once(self) -> int:
        """Take every pending clip as far as it goes; returns how many got a receipt."""
        rows = self.pending()
        if not rows:
            return 0
        with ThreadPoolExecutor(self._clip_concurrency, thread_name_prefix="clip") as pool:
            return sum(pool.map(self._advance_quietly, rows))  # a TokenRefused ends the round

    def run(self, poll_seconds: float = 2.0) -> None:
        while not self.stop.is_set():
            self.run_once()
            self.stop.wait(poll_seconds)

    # -- one clip ------------------------------------------------------------------------------

    def _advance_quietly(self, row: ClipRow) -> int:
        try:
            return 1 if self.advance(row) else 0
        except Stopped:
            return 0
        except TokenRefused:
            raise  # not this clip's fault: the whole upload pauses (UploadService)
        except ServerError as exc:
            if exc.retryable or exc.status is None:
                return self._failed(row, exc)
            refusals = self.journal.note_refusal(row.id, str(exc))
            if refusals >= self.max_refusals:
                self._quarantine_refused(row, exc, refusals)
            else:
                self.journal.record_event("upload_error", f"clip {row.id}: {exc}", row.spool_path)
            log.warning("clip %s refused by the server (%d in a row): %s", row.id, refusals, exc)
            return 0
        except (ReceiptError, JournalError, OSError) as exc:
            return self._failed(row, exc)

    def _failed(self, row: ClipRow, exc: Exception) -> int:
        self.journal.note_failure(row.id, str(exc))
        self.journal.record_event("upload_error", f"clip {row.id}: {exc}", row.spool_path)
        log.warning("upload of clip %s failed: %s", row.id, exc)
        return 0

    def _quarantine_refused(self, row: ClipRow, exc: ServerError, refusals: int) -> None:
        reason = (
            f"the server refused it {refusals} times in a row (HTTP {exc.status}, not retryable): {exc}; "
            "kept in the spool and on the camera; a person must look at why"
        )
        state = self.journal.get(row.id).state
        self.journal.transition(row.id, state, ClipState.QUARANTINED, quarantine_reason=reason)
        self.journal.record_event("quarantined", f"clip {row.id}: {reason}", row.spool_path)

    def _retry(self, op, what: str):
        return with_retries(
            op,
            stop=self.stop,
            what=what,
            attempts=self.attempts,
            on_retry=lambda msg: self.journal.record_event("upload_retry", msg),
        )

    def advance(self, row: ClipRow) -> bool:
        """Move one clip as far as it goes. True when it ends RECEIPTED."""
        metadata = register_metadata(row, vehicle_id=self.vehicle_id)
        related, track = sidecar_copies.declared(row), sidecar_copies.gps_track(row)
        reg = self._retry(
            lambda: self.client.register(row.manifest, metadata, related=related, gps_track=track),
            f"register clip {row.id}",
        )
        if row.state == ClipState.SPOOLED:
            self.journal.transition(
                row.id,
                ClipState.SPOOLED,
                ClipState.REGISTERED,
                server_clip_id=reg["clip_id"],
                upload_id=reg.get("upload_id"),
            )
        elif row.upload_id != reg.get("upload_id") or row.server_clip_id != reg["clip_id"]:
            # The server started a fresh upload (e.g. after a refused completion): resend everything.
            self.journal.transition(
                row.id, row.state, row.state, server_clip_id=reg["clip_id"], upload_id=reg.get("upload_id")
            )
        row = self.journal.get(row.id)
        if reg.get("state") == "stored" and reg.get("receipt"):
            return self._accept(row, reg["receipt"])
        assembled = reg.get("state") == "verifying"  # a part PUT would hit a finished upload
        etags = self._known_etags(row, reg) if assembled else self._send_parts(row, reg)
        sidecars.send_missing(row, reg, self.client.put_part, self._retry)
        if row.state == ClipState.REGISTERED:
            self.journal.transition(row.id, ClipState.REGISTERED, ClipState.UPLOADED)
        parts = [{"part_number": n, "etag": etags[n]} for n in sorted(etags)]
        try:
            receipt = self._retry(
                lambda: self.client.complete(row.server_clip_id, parts), f"complete clip {row.id}"
            )
        except ChecksumRefused as exc:
            if exc.body.get("related"):
                self._sidecars_refused(self.journal.get(row.id), exc)
            else:
                self._refused(row, exc)
            return False
        return self._accept(self.journal.get(row.id), receipt)

    def _known_etags(self, row: ClipRow, reg: dict) -> dict[int, str]:
        """The part list for completing an assembled upload: the server does not look at it
        then (it checks the assembled object), but the request must list each part once."""
        known = self.ledger.etags(row.id, reg.get("upload_id") or "")
        return {n: known.get(n, "assembled") for n in range(1, len(row.manifest["parts"]) + 1)}

    def _send_parts(self, row: ClipRow, reg: dict) -> dict[int, str]:
        known = self.ledger.etags(row.id, reg.get("upload_id") or "")
        todo = [p for p in reg["parts"] if not (p.get("present") and p["part_number"] in known)]
        manifest = row.manifest
        futures = {
            p["part_number"]: self._parts_pool.submit(self._send_part, row, manifest, reg, p) for p in todo
        }
        errors = []
        for number, fut in futures.items():
            try:
                known[number] = fut.result()
            except (ServerError, OSError, Stopped) as exc:
                errors.append(exc)
        if errors:
            raise errors[0]
        return {p["part_number"]: known[p["part_number"]] for p in reg["parts"]}

    def _send_part(self, row: ClipRow, manifest: dict, reg: dict, part: dict) -> str:
        number, size = part["part_number"], manifest["part_size"]
        with open(row.spool_path, "rb") as fh:
            fh.seek((number - 1) * size)
            body = fh.read(size)
        throttle = None if isinstance(self.bucket, Unlimited) else self.bucket.consume
        etag = self._retry(
            lambda: self.client.put_part(part["url"], body, part["checksum_sha256"], throttle),
            f"clip {row.id} part {number}",
        )
        self.meter.add(len(body))
        self.ledger.record(row.id, reg.get("upload_id") or "", number, etag)
        return etag

    def _accept(self, row: ClipRow, receipt: dict) -> bool:
        body = verify_receipt(
            receipt, self._key(), clip_id=row.server_clip_id, sha256=row.sha256, size=row.manifest["size"]
        )
        if row.state == ClipState.REGISTERED:
            self.journal.transition(row.id, ClipState.REGISTERED, ClipState.UPLOADED)
        self.journal.transition(
            row.id, ClipState.UPLOADED, ClipState.RECEIPTED, receipt_json=receipt, error=None
        )
        self.ledger.forget(row.id)
        log.info("clip %s receipted: sha256 %s stored as %s", row.id, body["sha256"], body["object_key"])
        if self.on_receipt:
            self.on_receipt(self.journal.get(row.id))
        return True

    def _sidecars_refused(self, row: ClipRow, exc: ChecksumRefused) -> None:
        """The store lacked a sidecar or held other bytes (removed by the server). Spool copies
        still right: the next round registers again and sends what is missing; else quarantine."""
        damaged = sidecars.damaged_copies(row)
        if not damaged:
            self.journal.record_event(
                "upload_refused", f"clip {row.id}: {exc}; sidecar copies verified, resending", row.spool_path
            )
            return
        reason = (
            f"sidecar spool copies no longer match their hashes ({'; '.join(damaged)}); server said: {exc}"
        )
        self.journal.transition(row.id, row.state, ClipState.QUARANTINED, quarantine_reason=reason)
        self.journal.record_event("quarantined", f"clip {row.id}: {reason}", row.spool_path)

    def _refused(self, row: ClipRow, exc: ChecksumRefused) -> None:
        """The store's bytes did not match. Is our spool copy still right? Then send it again."""
        check = verify_file(row.spool_path, manifest_from_json(row.manifest_json))
        self.ledger.forget(row.id)
        if check.ok:
            self.journal.transition(
                row.id,
                ClipState.UPLOADED,
                ClipState.SPOOLED,
                error=f"refused by the server, resending: {exc}",
            )
            self.journal.record_event(
                "upload_refused", f"clip {row.id}: {exc}; spool copy verified, resending"
            )
        else:
            reason = f"spool copy no longer matches its manifest ({check.describe()}); server said: {exc}"
            self.journal.transition(
                row.id, ClipState.UPLOADED, ClipState.QUARANTINED, quarantine_reason=reason
            )
            self.journal.record_event("quarantined", f"clip {row.id}: {reason}", row.spool_path)
