"""A manual offload (`evidence-agent offload PATH`): the service's steps for one volume, now.

`manual_offload` docks the folder (`dock.volume.dock_volume`, forcing a profile
or the any-video stand-in when none matches), reports what the scan skipped
(`dock.volume.report_skips`), and runs the service's own offload batch
(`offload.offloader.Offloader.offload_batch`) with progress bars (overall and
per clip) on stderr. It returns a summary listing every clip of the volume with
its state, SHA-256, flags and error, plus what was skipped. It recovers the spool
first, so a manual offload killed at any moment and started again resumes
without duplicating or half-recording a clip.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Callable
from pathlib import Path

from edge_agent.core.clip_state import ClipState
from edge_agent.core.journal import Journal
from edge_agent.core.live_status import RuntimeStatus
from edge_agent.core.spool import Spool
from edge_agent.dock.scan import SourceFile, scan_volume, source_key
from edge_agent.dock.volume import dock_volume, report_skips
from edge_agent.offload.offloader import Batch, ClipOutcome, Offloader, SpoolFull, VolumeGone
from firmware_profiles import get_profile, load_profiles

NOT_SEEN = "NOT_SEEN"  # in the summary only: the journal has no row for this clip
EXIT_NOT_ALL_SPOOLED, EXIT_SPOOL_FULL, EXIT_VOLUME_GONE = 1, 3, 4


def manual_offload(
    path: Path,
    spool_dir: Path,
    *,
    profile_name: str | None = None,
    profile_dirs=(),
    min_free_bytes: int = 0,
    thumbnails: bool = True,
    max_attempts: int = 5,
    progress_factory: Callable | None = None,
) -> tuple[dict, int]:
    spool = Spool(spool_dir)
    status = RuntimeStatus()
    with Journal(spool.root / "journal.sqlite") as journal:
        spool.recover(journal)
        profiles = load_profiles(list(profile_dirs))
        forced = get_profile(profile_name, profiles) if profile_name else None
        volume = dock_volume(path, profiles, status=status, force_any=True, profile=forced)
        if volume is None:  # cannot happen with force_any; said plainly rather than assumed
            raise RuntimeError(f"{path}: no profile and no any-video stand-in")
        scan = scan_volume(path)
        report_skips(path, scan.skipped, status=status, record_event=journal.record_event, reported=set())
        offloader = Offloader(
            journal,
            spool,
            min_free_bytes=min_free_bytes,
            max_attempts=max_attempts,
            thumbnails=thumbnails,
            status=status,
        )
        todo = offloader.plan(volume, scan.files)
        bars = _Bars(progress_factory, [f for _, f, _ in todo]) if progress_factory else None

        unsaved: list[str] = []  # why status.json could not be written (a full spool), once each

        def save_status() -> None:
            try:
                status.save(spool.root)
            except OSError as exc:  # the offload itself decides; a status file never crashes it
                reason = _status_unsaved(exc)
                if reason not in unsaved:
                    unsaved.append(reason)

        def clip_done(outcome: ClipOutcome) -> None:
            save_status()
            if bars:
                bars.done(outcome)

        journal_error = None
        try:
            batch = offloader.offload_batch(
                volume, todo, progress=bars.tick if bars else None, on_clip=clip_done
            )
        except sqlite3.OperationalError as exc:  # the journal's disk is full: stop, nothing lost
            journal_error = f"spool full: journal cannot be written ({exc}); offload paused, nothing lost"
            batch = Batch([], SpoolFull(journal_error))
        finally:
            if bars:
                bars.stop()
        code, paused = 0, None
        if isinstance(batch.error, SpoolFull):
            code, paused = EXIT_SPOOL_FULL, str(batch.error)
        elif isinstance(batch.error, VolumeGone):
            code = EXIT_VOLUME_GONE
        clips = []
        for f in scan.files:
            if not volume.profile.is_clip(f.posix):
                continue
            row = journal.by_source_key(source_key(volume.serial_key, f))
            clips.append(
                {
                    "path": f.relpath,
                    "state": row.state if row else NOT_SEEN,
                    "sha256": row.sha256 if row else None,
                    "flags": row.flags if row else [],
                    "error": row.error if row else None,
                    "spool_path": row.spool_path if row else None,
                    "quarantine_reason": row.quarantine_reason if row else None,
                }
            )
        if code == 0 and any(c["state"] == ClipState.DISCOVERED for c in clips):
            code = EXIT_NOT_ALL_SPOOLED
        save_status()
        if unsaved and code in (0, EXIT_NOT_ALL_SPOOLED) and any(u.startswith("spool full") for u in unsaved):
            code, paused = EXIT_SPOOL_FULL, unsaved[0]
        summary = {
            "volume": str(path),
            "profile": volume.profile.name,
            "device_serial": volume.device_serial,
            "clock_offset_seconds": volume.clock_offset_seconds,
            "clock": volume.clock,
            "spool": str(spool.root),
            "paused": paused,
            "counts": journal.counts(),
            "clips": clips,
            "skipped": [{"relpath": s.relpath, "reason": s.reason} for s in scan.skipped],
            "warnings": volume.warnings + [u for u in unsaved if u != paused],
        }
    return summary, code


def _status_unsaved(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"spool full: status.json could not be saved ({exc.strerror}); the clips offloaded are journaled"
        )
    return f"status.json could not be saved: {exc}"


class _Bars:
    """Progress bars for a manual offload: one overall, one per clip (hidden once done, past 30 clips)."""

    def __init__(self, factory: Callable, todo: list[SourceFile]):
        self._total = sum(f.size for f in todo)
        self._sizes = {f.relpath: f.size for f in todo}
        self._count = len(todo)
        self._bars = factory(self._total)
        self._bars.start()
        self._overall = self._bars.add_task(f"{len(todo)} clip(s)", total=self._total or 1)
        self._tasks: dict[str, int] = {}
        self._base = 0

    def _task(self, relpath: str):
        if relpath not in self._tasks:
            self._tasks[relpath] = self._bars.add_task(relpath[-40:], total=self._sizes.get(relpath, 0) or 1)
        return self._tasks[relpath]

    def tick(self, f: SourceFile, done: int) -> None:
        self._bars.update(self._task(f.relpath), completed=done)
        self._bars.update(self._overall, completed=self._base + done)

    def done(self, outcome: ClipOutcome) -> None:
        size = self._sizes.get(outcome.relpath, 0)
        keep = outcome.state != ClipState.SPOOLED or self._count < 30
        self._bars.update(self._task(outcome.relpath), completed=size or 1, visible=keep)
        self._base += size

    def stop(self) -> None:
        self._bars.stop()
