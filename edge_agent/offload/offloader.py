"""Offload: clips of a docked volume into the spool, each hashed at its first read.

For each clip: a DISCOVERED row is committed first (so the status shows what is
pending), then the clip and its sidecars are copied with `hashing.copy_and_hash`
(one read, whole-file and part digests, file and directory fsynced), the spool
copy is probed with PyAV and given an OpenCV thumbnail, and only then the row
moves to SPOOLED with its manifest, metadata, flags and the camera clock offset.
The camera is only ever opened read-only, without following links.

Failures never lose a clip and never record half of one:
- a volume pulled out mid-copy (source vanished, its volume unreadable) leaves
  the clip DISCOVERED, with its error, to be retried when the volume is docked
  again; a file that shrank or grew while the volume is still there fails only
  that clip ("changed size mid-copy"), and the batch goes on with the others;
  the file's new version gets its own row and the old DISCOVERED row is marked
  superseded by it (`Journal.supersede`), not shown as waiting for ever;
- a full spool (free space below `min_free_bytes`, or ENOSPC while writing)
  pauses offload with a clear reason; the clip stays DISCOVERED;
- a clip unreadable `max_attempts` times is QUARANTINED with the reason (kept,
  reported, never deleted).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from edge_agent.core.clip_state import HELD_STATES, ClipState
from edge_agent.core.journal import Journal
from edge_agent.core.live_status import RuntimeStatus
from edge_agent.core.media_probe import describe_spooled
from edge_agent.core.spool import Spool
from edge_agent.dock.custody_events import before_copy
from edge_agent.dock.scan import SourceFile, open_no_follow, opener_expecting, source_key
from edge_agent.dock.volume import DockedVolume
from hashing import (
    DestinationError,
    Manifest,
    SourceChangedError,
    SourceError,
    SourceGrewError,
    SourceUnreadableError,
)
from hashing.pipeline import Writer


class SpoolFull(Exception):
    """Offload paused: writing would leave the spool below its low-water mark (or it is full)."""


class VolumeGone(Exception):
    """The volume went away mid-copy; the rest of its clips wait for the next dock."""


@dataclass
class ClipOutcome:
    clip_id: int
    relpath: str
    state: ClipState
    sha256: str | None = None
    flags: list[str] = field(default_factory=list)
    error: str | None = None
    spool_path: str | None = None
    size: int = 0


@dataclass
class Batch:
    """What one batch of a volume's clips came to: the clips offloaded, and why it stopped early."""

    outcomes: list[ClipOutcome]
    error: SpoolFull | VolumeGone | None = None  # None: every clip of the batch was handled


def _is_enospc(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__
    return False


def _still_there(volume: DockedVolume, f: SourceFile) -> bool:
    """Is the volume still readable and the file still on it? Then a short read was a shrink."""
    try:
        os.listdir(volume.root)
        os.lstat(f.path)
    except OSError:
        return False
    return True


class Offloader:
    def __init__(
        self,
        journal: Journal,
        spool: Spool,
        *,
        min_free_bytes: int,
        max_attempts: int = 5,
        thumbnails: bool = True,
        status: RuntimeStatus | None = None,
        writer: Writer = os.write,
    ):
        self.journal, self.spool = journal, spool
        self.min_free_bytes, self.max_attempts = min_free_bytes, max_attempts
        self.thumbnails, self.writer = thumbnails, writer
        self.status = status or RuntimeStatus()
        self._spool_full = False  # one spool_full event per pause, not one per rescan

    def plan(self, volume: DockedVolume, files: list[SourceFile]) -> list[tuple[int, SourceFile, list]]:
        """Commit DISCOVERED rows for the volume's new clips; (id, clip, sidecars) still to copy."""
        by_rel = {f.posix: f for f in files}
        states = self.journal.states_by_key(volume.serial_key)
        rows, todo = [], []
        for f in files:
            if not volume.profile.is_clip(f.posix):
                continue
            key = source_key(volume.serial_key, f)
            if states.get(key) in (*HELD_STATES, ClipState.QUARANTINED):
                continue
            sidecars = [by_rel[p] for p in volume.profile.sidecars_for(f.posix) if p in by_rel]
            rows.append(
                {
                    "source_key": key,
                    "device_serial": volume.serial_key,
                    "volume_root": str(volume.root),
                    "relpath": f.relpath,
                    "relpath_bytes": f.relpath_bytes,
                    "size": f.size,
                    "mtime_ns": f.mtime_ns,
                    "profile": volume.profile.name,
                }
            )
            todo.append((key, f, sidecars))
        ids = self.journal.discover(rows) if rows else {}
        if rows:
            self.journal.supersede(volume.serial_key, {r["relpath"]: r["source_key"] for r in rows})
        return [(ids[key], f, sidecars) for key, f, sidecars in todo]

    def offload(
        self,
        volume: DockedVolume,
        files: list[SourceFile],
        *,
        on_clip: Callable[[ClipOutcome], None] | None = None,
        progress: Callable[[SourceFile, int], None] | None = None,
    ) -> list[ClipOutcome]:
        """Offload every pending clip of `files`; stops early (raising) on a full spool or a gone volume."""
        batch = self.offload_batch(volume, self.plan(volume, files), on_clip=on_clip, progress=progress)
        if batch.error is not None:
            raise batch.error
        return batch.outcomes

    def offload_batch(
        self,
        volume: DockedVolume,
        todo: list[tuple[int, SourceFile, list]],
        *,
        on_clip: Callable[[ClipOutcome], None] | None = None,
        progress: Callable[[SourceFile, int], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Batch:
        """Offload the planned clips one by one; a full spool or a gone volume ends the batch early.

        The service's worker and a manual offload both run this: how the batch ended
        (and why) is in the result, for each to report in its own way."""
        outcomes: list[ClipOutcome] = []
        for clip_id, f, sidecars in todo:
            if stop is not None and stop():
                break  # the rest stay DISCOVERED, offloaded at the next start
            try:
                outcome = self.offload_clip(volume, clip_id, f, sidecars, progress=progress)
            except (SpoolFull, VolumeGone) as exc:
                return Batch(outcomes, exc)
            outcomes.append(outcome)
            if on_clip:
                on_clip(outcome)
        return Batch(outcomes)

    def event_first(
        self, volume: DockedVolume, todo: list[tuple[int, SourceFile, list]]
    ) -> list[tuple[int, SourceFile, list]]:
        """The planned clips with event-flagged ones first (their sidecars say so), else in order."""
        return sorted(todo, key=lambda t: not volume.clip_metadata(t[1].posix).get("event"))

    def _check_space(self, need: int, what: str) -> None:
        free = self.spool.free_bytes()
        if free - need < self.min_free_bytes:
            raise SpoolFull(
                f"spool full: {free} bytes free, {what} needs {need} and the low-water mark is "
                f"{self.min_free_bytes}; offload paused, nothing lost (clips wait on the camera)"
            )

    def offload_clip(
        self, volume: DockedVolume, clip_id: int, f: SourceFile, sidecars: list[SourceFile], progress=None
    ) -> ClipOutcome:
        row = self.journal.get(clip_id)
        if row.state != ClipState.DISCOVERED:
            return ClipOutcome(
                clip_id, f.relpath, row.state, row.sha256, row.flags, spool_path=row.spool_path
            )
        try:
            self._check_space(f.size + sum(s.size for s in sidecars), f.relpath)
            self._resume()
            self.journal.custody_log.add(clip_id, before_copy(volume, f))
            self.status.copying(f.relpath, 0, f.size)
            last = [0]

            def tick(done: int) -> None:
                self.status.add_bytes(done - last[0])
                last[0] = done
                self.status.copying(f.relpath, done, f.size)
                if progress:
                    progress(f, done)

            dst = self.spool.clip_path(clip_id, f.posix)
            digest = self.spool.copy_or_adopt(
                f.path,
                dst,
                opener=opener_expecting(f),
                writer=self.writer,
                progress=tick,
                on_event=self.journal.record_event,
            )
            sidecar_copies, warnings = self._copy_sidecars(clip_id, sidecars)
        except DestinationError as exc:
            reason = (
                f"spool full (no space left while writing {f.relpath}); offload paused, nothing lost"
                if _is_enospc(exc)
                else f"spool unwritable: {exc}; offload paused, nothing lost"
            )
            self.journal.note_failure(clip_id, reason)
            self._pause(reason)
            raise SpoolFull(reason) from exc
        except SpoolFull as exc:
            self._pause(str(exc))
            raise
        except (SourceChangedError, SourceGrewError) as exc:
            return self._failed(clip_id, f, f"still changing, will retry: {exc}", "source")
        except SourceUnreadableError as exc:
            outcome = self._failed(clip_id, f, str(exc), "source")
            if self.journal.get(clip_id).attempts >= self.max_attempts:
                reason = f"unreadable after {self.max_attempts} attempts: {exc}"
                self.journal.transition(
                    clip_id, ClipState.DISCOVERED, ClipState.QUARANTINED, quarantine_reason=reason
                )
                self.journal.record_event("quarantined", reason, f.relpath)
                outcome.state = ClipState.QUARANTINED
            return outcome
        except (SourceError, OSError) as exc:  # vanished, short, or the volume's files went away
            if _still_there(volume, f):  # the file shrank or was rewritten; the volume is fine
                return self._failed(clip_id, f, f"changed size mid-copy, will retry: {exc}", "source")
            self._failed(clip_id, f, f"volume removed mid-copy, retry on next dock: {exc}", "source")
            raise VolumeGone(str(exc)) from exc
        finally:
            self.status.copying(None)
        return self._finish(volume, clip_id, f, dst, digest, sidecar_copies, warnings)

    def _copy_sidecars(self, clip_id: int, sidecars: list[SourceFile]) -> tuple[list[dict], list[str]]:
        copies, warnings = [], []
        for n, s in enumerate(sidecars):
            dst = self.spool.sidecar_path(clip_id, n, s.posix)
            try:
                d = self.spool.copy_or_adopt(
                    s.path, dst, opener=open_no_follow, writer=self.writer, on_event=self.journal.record_event
                )
            except SourceUnreadableError as exc:
                warnings.append(f"sidecar {s.relpath} unreadable: {exc}")
                continue
            copies.append(
                {
                    "relpath": s.relpath,
                    "spool_path": str(dst),
                    "sha256": d.sha256,
                    "size": d.size,
                    "manifest": Manifest.from_digest(d).as_dict(),
                }
            )
        return copies, warnings

    def _finish(self, volume, clip_id, f, dst, digest, sidecar_copies, warnings) -> ClipOutcome:
        media = describe_spooled(dst, thumb_path=self.spool.thumb_path(clip_id) if self.thumbnails else None)
        metadata = volume.clip_metadata(f.posix)
        metadata["warnings"] = metadata.get("warnings", []) + warnings + media.warnings
        metadata.update(
            probe=media.facts,
            sidecar_copies=sidecar_copies,
            original_name=f.relpath,
            label=volume.label,
            docked_at=volume.docked_at.isoformat(),
        )
        if volume.clock is not None:
            metadata["clock"] = volume.clock
        if media.thumbnail:
            metadata["thumbnail"] = media.thumbnail
        flags = media.flags + (["event"] if metadata.get("event") else [])
        manifest = Manifest.from_digest(digest)
        self.journal.transition(
            clip_id,
            ClipState.DISCOVERED,
            ClipState.SPOOLED,
            spool_path=str(dst),
            sha256=digest.sha256,
            manifest_json=manifest.dumps(),
            metadata_json=metadata,
            flags_json=flags,
            clock_offset_seconds=volume.clock_offset_seconds,
            error=None,
            superseded_by=None,
        )
        for flag in ("truncated", "unplayable"):
            if flag in flags:
                self.journal.record_event(
                    flag,
                    f"offloaded with its true hash but flagged {flag}: {'; '.join(media.problems)}",
                    f.relpath,
                )
        return ClipOutcome(
            clip_id, f.relpath, ClipState.SPOOLED, digest.sha256, flags, spool_path=str(dst), size=digest.size
        )

    def _pause(self, reason: str) -> None:
        """Pause for space. Journaled once per pause: the reason's free-byte count changes each try."""
        self.status.pause(reason)
        if not self._spool_full:
            self.journal.record_event("spool_full", reason, str(self.spool.root))
            self._spool_full = True

    def _resume(self) -> None:
        if self._spool_full:
            self.journal.record_event(
                "spool_space", "spool has room again; offload resumed", str(self.spool.root)
            )
            self._spool_full = False
        self.status.pause(None)

    def _failed(self, clip_id: int, f: SourceFile, reason: str, kind: str) -> ClipOutcome:
        self.journal.note_failure(clip_id, reason)
        self.journal.record_event(kind, reason, f.relpath)
        return ClipOutcome(clip_id, f.relpath, ClipState.DISCOVERED, error=reason)
