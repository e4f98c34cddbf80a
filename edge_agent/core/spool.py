"""The spool folder: where copies live, how they are named, and recovery after a crash.

Layout under the spool directory: `journal.sqlite` (the journal), `clips/` (one
flat folder: `<id>.<ext>` the clip copy, `<id>.thumb.jpg` its thumbnail,
`<id>.sidecar<n>.<ext>` its sidecars; names come from the journal id, so odd
camera names never reach the spool's filesystem), `orphans/` (copies set aside,
never deleted) and `status.json`.

Crash recovery (`recover`, at start): a `.partial` temporary of a clip still
DISCOVERED is an unfinished copy of an original that is still on the camera, so
it is removed and the clip retried. A complete copy of a DISCOVERED clip (crash
after the rename, before the journal commit) is kept and adopted on retry if the
original's hash matches it, else moved to `orphans/`. Any other file no row
claims is reported and left where it is.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from edge_agent.core.clip_state import HELD_STATES, ClipState
from hashing import Digest, copy_and_hash, fsync_dir, hash_file
from hashing.pipeline import Writer

DIRECT_IO_MIN = 8 * 1024 * 1024
_ID_NAME = re.compile(r"^\.?(\d{8})\.")


def safe_suffix(relpath: PurePosixPath) -> str:
    """The original's extension if it is plain (letters and digits, up to 8), else '.bin'."""
    ext = relpath.suffix[1:]
    return f".{ext.lower()}" if re.fullmatch(r"[A-Za-z0-9]{1,8}", ext) else ".bin"


def _size(path: Path) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0


@dataclass
class RecoveryReport:
    cleaned: list[str] = field(default_factory=list)  # unfinished temporaries of DISCOVERED clips
    unclaimed: list[str] = field(default_factory=list)  # files no journal row claims (reported, kept)


class Spool:
    def __init__(self, root: Path, disk_free: Callable[[Path], int] | None = None):
        self.root = Path(root)
        self.clips_dir = self.root / "clips"
        self.orphans_dir = self.root / "orphans"
        self._disk_free = disk_free or (lambda p: shutil.disk_usage(p).free)
        for d in (self.root, self.clips_dir, self.orphans_dir):
            if not d.is_dir():
                d.mkdir(parents=True, exist_ok=True)
                fsync_dir(d.parent)

    def free_bytes(self) -> int:
        return self._disk_free(self.root)

    def clip_path(self, clip_id: int, relpath: PurePosixPath) -> Path:
        return self.clips_dir / f"{clip_id:08d}{safe_suffix(relpath)}"

    def sidecar_path(self, clip_id: int, n: int, relpath: PurePosixPath) -> Path:
        return self.clips_dir / f"{clip_id:08d}.sidecar{n}{safe_suffix(relpath)}"

    def thumb_path(self, clip_id: int) -> Path:
        return self.clips_dir / f"{clip_id:08d}.thumb.jpg"

    def copy_or_adopt(
        self, src: Path, dst: Path, *, opener, writer: Writer = os.write, progress=None, on_event=None
    ) -> Digest:
        """copy_and_hash, except that a complete copy left by a crash is verified and kept."""
        if dst.exists():
            theirs = hash_file(dst)
            ours = hash_file(src, opener=opener)
            if theirs == ours:
                with open(dst, "rb") as fh:  # may have been renamed but never fsynced
                    os.fsync(fh.fileno())
                fsync_dir(dst.parent)
                if on_event:
                    on_event(
                        "recovered",
                        f"kept the complete copy left by an interrupted offload "
                        f"(sha256 {ours.sha256} matches the original)",
                        str(dst),
                    )
                return ours
            aside = self.orphans_dir / f"{dst.name}.{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
            os.rename(dst, aside)
            fsync_dir(self.orphans_dir)
            fsync_dir(dst.parent)
            if on_event:
                on_event(
                    "orphan",
                    f"copy did not match the original (sha256 {theirs.sha256} vs "
                    f"{ours.sha256}); set aside in {aside}, copying again",
                    str(dst),
                )
        # O_DIRECT pays off for clips, not for a sidecar or a tiny file (its open alone costs more).
        return copy_and_hash(
            src, dst, opener=opener, writer=writer, progress=progress, direct_io=_size(src) >= DIRECT_IO_MIN
        )

    def claimed_names(self, journal) -> tuple[set[str], set[int]]:
        """(file names claimed by held rows, ids of DISCOVERED rows) from the journal."""

        names: set[str] = set()
        for row in journal.clips(*HELD_STATES, ClipState.QUARANTINED):
            for p in [row.spool_path, row.metadata.get("thumbnail")] + [
                s.get("spool_path") for s in row.metadata.get("sidecar_copies", [])
            ]:
                if p:
                    names.add(Path(p).name)
        pending = {row.id for row in journal.clips(ClipState.DISCOVERED)}
        return names, pending

    def recover(self, journal) -> RecoveryReport:
        report = RecoveryReport()
        names, pending = self.claimed_names(journal)
        for entry in sorted(os.scandir(self.clips_dir), key=lambda e: e.name):
            if entry.name in names:
                continue
            m = _ID_NAME.match(entry.name)
            owner = int(m.group(1)) if m else None
            if entry.name.endswith((".partial", ".tmp")) and owner in pending:
                os.unlink(entry.path)
                report.cleaned.append(entry.path)
                journal.record_event(
                    "recovered",
                    "removed an unfinished copy left by an interrupted "
                    "offload; the clip will be copied again",
                    entry.path,
                )
            elif owner in pending:
                continue  # a complete copy of a DISCOVERED clip: verified and adopted on retry
            else:
                report.unclaimed.append(entry.path)
        if report.cleaned:
            fsync_dir(self.clips_dir)
        for path in report.unclaimed:
            journal.record_event("unclaimed", "file in the spool that no journal row claims (kept)", path)
        return report
