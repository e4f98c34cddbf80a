"""The agent service behind `evidence-agent run`: dock watcher, offload worker, UVC recorders.

Threads, each with the shared stop event: the dock watcher (attach, detach, quiet
files), one offload worker that hands each docked volume's batch to a pool of
readers (one reader per volume, at most `offload_concurrency` at once, so several
cameras docked together are copied concurrently while the spool disk and the
hashing stay bounded; within a volume event-flagged clips go first), and one
recorder per configured UVC device. At start, the spool is recovered (unfinished copies of DISCOVERED
clips removed, unclaimed files reported) and so are UVC segments left open by a
crash. The live status is saved to `status.json` in the spool every second.

Every worker thread runs under `core.supervision.run_supervised`: a round that
fails (a journal that cannot be written, anything else) is shown in the status
as that thread's health and tried again; no worker ends silently.

When the spool is full the worker keeps its batch and retries every
`rescan_seconds`; when a volume disappears mid-copy its batch is dropped and its
clips are found again when it docks again.

This module only wires threads to the packages' steps (`dock.volume.dock_volume`,
`dock.batching.ready_batch`, `offload.offloader.Offloader.offload_batch`,
`capture.journaling.start_recorders`, `upload.loop.UploadService`); a manual
offload or upload calls the same steps.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from edge_agent.capture.journaling import start_recorders
from edge_agent.core.config import AgentSettings
from edge_agent.core.journal import Journal
from edge_agent.core.live_status import RuntimeStatus
from edge_agent.core.spool import Spool
from edge_agent.core.supervision import run_supervised
from edge_agent.dock.batching import ready_batch
from edge_agent.dock.scan import ScanResult, SourceFile
from edge_agent.dock.volume import DockedVolume, dock_volume, report_skips
from edge_agent.dock.watcher import DockWatcher
from edge_agent.offload.offloader import Offloader, SpoolFull, VolumeGone
from edge_agent.upload.loop import UploadService
from firmware_profiles import load_profiles

log = logging.getLogger(__name__)


def load_agent_profiles(profile_dirs) -> list:
    return load_profiles(list(profile_dirs))


class Agent:
    def __init__(
        self,
        settings: AgentSettings,
        *,
        profiles: list | None = None,
        clock: Callable[[], float] = time.monotonic,
        mounts_file: Path = Path("/proc/self/mounts"),
        use_watchdog: bool = True,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.settings = settings
        self.stop_event = threading.Event()
        self.spool = Spool(settings.spool_dir)
        self.journal = Journal(settings.journal_path)
        self.status = RuntimeStatus()
        self.profiles = profiles if profiles is not None else load_agent_profiles(settings.profile_dirs)
        self.offloader = Offloader(
            self.journal,
            self.spool,
            min_free_bytes=settings.min_free_bytes,
            max_attempts=settings.max_attempts,
            thumbnails=settings.thumbnails,
            status=self.status,
        )
        self._now = now
        self.volumes: dict[Path, DockedVolume] = {}
        self._reported_skips: set[tuple[Path, str, str]] = set()
        self._pending: dict[Path, list[SourceFile]] = {}
        self._lock = threading.Lock()
        self._work_ready = threading.Event()
        self.watcher = DockWatcher(
            settings.mount_roots,
            on_attach=self._attach,
            on_detach=self._detach,
            on_scan=self._scanned,
            quiet_seconds=settings.quiet_seconds,
            rescan_seconds=settings.rescan_seconds,
            clock=clock,
            mounts_file=mounts_file,
            use_watchdog=use_watchdog,
            stop=self.stop_event,
        )
        self._worker = threading.Thread(target=self._work, name="offload-worker", daemon=True)
        # One reader per docked volume, at most offload_concurrency at once (spool disk and hashing shared).
        self._readers = ThreadPoolExecutor(settings.offload_concurrency, thread_name_prefix="offload-reader")
        self._busy: set[Path] = set()
        self.recorders: list = []
        self.upload: UploadService | None = None
        if settings.server_url and settings.device_token_file:
            self.upload = UploadService(
                settings,
                self.journal,
                self.status,
                stop=self.stop_event,
                docked=lambda: dict(self.volumes),
                now=now,
            )

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        report = self.spool.recover(self.journal)
        if report.unclaimed:
            log.warning(
                "%d file(s) in the spool that no journal row claims (kept): %s",
                len(report.unclaimed),
                report.unclaimed[:5],
            )
        if self.settings.uvc_devices:
            self.recorders = start_recorders(
                self.settings, self.journal, self.status, self.spool, self.profiles, self.stop_event
            )
        self.watcher.start()
        self._worker.start()
        if self.upload is not None:
            self.upload.start()

    def stop(self, timeout: float | None = 30) -> None:
        self.stop_event.set()
        self.watcher.stop()
        self._work_ready.set()
        for rec in self.recorders:
            rec.stop()
        for t in [self.watcher, self._worker]:
            if t.ident is not None:
                t.join(timeout)
        self._readers.shutdown(wait=True, cancel_futures=True)
        for rec in self.recorders:
            rec.join(timeout)
        if self.upload is not None:
            self.upload.join(timeout)  # before the journal closes: a release may be mid-transition
        self._save_status()
        self.journal.close()

    def run_forever(self) -> None:
        self.start()
        try:
            while not self.stop_event.wait(1.0):
                self._save_status()
        finally:
            self.stop()

    # -- dock watcher callbacks ------------------------------------------------------------------

    def _attach(self, root: Path) -> None:
        self.status.volume(root, state="docked", profile=None)
        self._event("docked", "volume docked", str(root))
        self._prepare(root)

    def _prepare(self, root: Path) -> DockedVolume | None:
        volume = dock_volume(root, self.profiles, status=self.status, now=self._now)
        if volume is None:
            return None
        self.volumes[root] = volume
        if self.upload is not None:  # clips receipted while this camera was away are released now
            self.upload.releaser.on_docked(volume)
        return volume

    def _detach(self, root: Path) -> None:
        self.volumes.pop(root, None)
        with self._lock:
            self._pending.pop(root, None)
        self.status.detached(root)
        self._event("detached", "volume removed; its pending clips wait for the next dock", str(root))

    def _scanned(
        self, root: Path, ready: list[SourceFile], waiting: list[SourceFile], result: ScanResult
    ) -> None:
        volume = self.volumes.get(root) or self._prepare(root)
        report_skips(
            root, result.skipped, status=self.status, record_event=self._event, reported=self._reported_skips
        )
        if volume is None:
            return
        batch = ready_batch(volume.profile, ready, result.files)
        self.status.volume(
            root, files=len(result.files), clips_ready=batch.clips_ready, clips_waiting=batch.clips_waiting
        )
        with self._lock:
            self._pending[root] = batch.files
        self._work_ready.set()

    # -- offload worker --------------------------------------------------------------------------

    def _work(self) -> None:
        run_supervised(
            "offload-worker",
            self._work_round,
            status=self.status,
            stop=self.stop_event,
            wait_seconds=lambda: 0.0,  # the round itself waits for work (or rescan_seconds)
            record_event=self._event_kind,
        )

    def _work_round(self) -> None:
        """Hand each volume with pending clips to the pool, one batch per volume at a time."""
        self._work_ready.wait(self.settings.rescan_seconds)
        self._work_ready.clear()
        with self._lock:
            batches = [(root, files) for root, files in self._pending.items() if root not in self._busy]
            self._busy.update(root for root, _ in batches)
        for root, files in batches:
            if self.stop_event.is_set():
                with self._lock:
                    self._busy.discard(root)
                continue
            self._readers.submit(self._offload_volume, root, files)
        self._save_status()

    def _offload_volume(self, root: Path, files: list[SourceFile]) -> None:
        """One volume's batch, on its own reader thread (the pool bounds how many run at once)."""
        again = False  # look at the pending batches again at once (not after a full spool: rescan_seconds)
        try:
            volume = self.volumes.get(root)
            if volume is None:
                return
            todo = self.offloader.event_first(volume, self.offloader.plan(volume, files))
            progress = _VolumeProgress(self.status, root, todo)
            batch = self.offloader.offload_batch(
                volume, todo, progress=progress.tick, on_clip=progress.done, stop=self.stop_event.is_set
            )
            progress.finish()
            if isinstance(batch.error, SpoolFull):
                log.warning("%s", batch.error)
                self.status.thread("offload-worker", "paused", str(batch.error))
                return  # the batch stays pending; retried after rescan_seconds
            if isinstance(batch.error, VolumeGone):
                log.warning("volume %s went away mid-copy: %s", root, batch.error)
                with self._lock:
                    self._pending.pop(root, None)
                return
            again = True
            self.status.pause(None)
            self.status.thread("offload-worker", "running")
            with self._lock:
                if self._pending.get(root) is files:
                    del self._pending[root]
        except sqlite3.OperationalError as exc:  # the journal cannot commit (e.g. its disk is full)
            reason = (
                f"journal cannot be written ({exc}); offload paused, nothing lost (clips wait on the camera)"
            )
            if self.status.paused != reason:
                log.error("%s", reason)
            self.status.pause(reason)
            self.status.thread("offload-worker", "paused", reason)
        except Exception as exc:  # logged and reported; the clip stays DISCOVERED
            log.exception("offload of %s failed", root)
            self._event("error", f"offload failed: {exc}", str(root))
        finally:
            with self._lock:
                self._busy.discard(root)
            if again:
                self._work_ready.set()  # clips scanned while this volume was busy get their turn
            self._save_status()

    def _event_kind(self, kind: str, message: str) -> None:
        self._event(kind, message, None)

    def _event(self, kind: str, message: str, path: str | None) -> None:
        try:
            self.journal.record_event(kind, message, path)
        except sqlite3.Error:
            log.exception("cannot record event %s: %s", kind, message)

    def _save_status(self) -> None:
        try:
            self.status.save(self.spool.root)
        except OSError as exc:  # a full spool must not stop the worker; the log still says why
            log.error("cannot save status.json: %s", exc)


class _VolumeProgress:
    """A volume's offload progress in the live status: clips and bytes done, rate, time left."""

    def __init__(
        self, status: RuntimeStatus, root: Path, todo: list, clock: Callable[[], float] = time.monotonic
    ):
        self.status, self.root, self._clock = status, root, clock
        self.clips_total = len(todo)
        self.bytes_total = sum(f.size + sum(s.size for s in sidecars) for _, f, sidecars in todo)
        self.clips_done, self.bytes_before, self.current = 0, 0, 0
        self.started = clock()
        self._show(None)

    def tick(self, f: SourceFile, done: int) -> None:
        self.current = done
        self._show(f.relpath)

    def done(self, outcome) -> None:
        self.clips_done += 1
        self.bytes_before += outcome.size
        self.current = 0
        self._show(None)

    def finish(self) -> None:
        self._show(None, finished=True)

    def _show(self, relpath: str | None, finished: bool = False) -> None:
        done = self.bytes_before + self.current
        elapsed = max(self._clock() - self.started, 1e-6)
        rate = done / elapsed if done else 0.0
        left = None if not rate else round(max(self.bytes_total - done, 0) / rate, 1)
        self.status.volume(
            self.root,
            offload={
                "clips_total": self.clips_total,
                "clips_done": self.clips_done,
                "bytes_total": self.bytes_total,
                "bytes_done": done,
                "bytes_per_second": round(rate, 1),
                "seconds_left": 0.0 if finished else left,
                "copying": relpath,
                "finished": finished,
            },
        )
