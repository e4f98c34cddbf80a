"""Safe walk of a docked volume, and the quiet-time rule for files still being written.

The walk never follows a symlink (`os.scandir` entries tested with
`follow_symlinks=False`), never crosses into another filesystem mounted inside the
volume, and never opens special files: symlinks, FIFOs, sockets and device nodes
are listed as skipped with their reason, so the status can show them. Names are
walked as bytes, so any name the filesystem allows (spaces, unicode, newlines,
invalid UTF-8) survives: `relpath_bytes` is exact, `relpath` is a printable form.

A source file is keyed by (device serial, relative path, size, mtime_ns), never by
inode. `QuietTracker` decides, with an injected clock, when a file has kept its
size and mtime for long enough to be offloaded.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from hashing import SourceChangedError

MAX_DEPTH = 64


@dataclass(frozen=True)
class SourceFile:
    relpath_bytes: bytes
    size: int
    mtime_ns: int
    path: Path  # absolute, for opening

    @property
    def relpath(self) -> str:
        """Printable relative path (invalid UTF-8 bytes shown as \\xNN)."""
        return self.relpath_bytes.decode("utf-8", "backslashreplace")

    @property
    def posix(self) -> PurePosixPath:
        """The relative path for profile globs (os.fsdecode: round-trips any bytes)."""
        return PurePosixPath(os.fsdecode(self.relpath_bytes))


@dataclass(frozen=True)
class Skipped:
    relpath: str
    reason: str


@dataclass
class ScanResult:
    root: Path
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def by_relpath(self) -> dict[bytes, SourceFile]:
        return {f.relpath_bytes: f for f in self.files}


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink (not followed)"
    if stat.S_ISFIFO(mode):
        return "FIFO (special file skipped)"
    if stat.S_ISSOCK(mode):
        return "socket (special file skipped)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device file (special file skipped)"
    return "special file skipped"


def scan_volume(root: Path) -> ScanResult:
    """Every regular file under `root`, without following links or leaving the filesystem."""
    root = Path(root)
    result = ScanResult(root)
    root_b = os.fsencode(root)
    try:
        root_dev = os.lstat(root_b).st_dev
    except OSError as exc:
        result.skipped.append(Skipped(".", f"volume unreadable ({exc.strerror})"))
        return result
    stack: list[tuple[bytes, int]] = [(b"", 0)]
    while stack:
        rel_dir, depth = stack.pop()
        try:
            with os.scandir(os.path.join(root_b, rel_dir) if rel_dir else root_b) as it:
                entries = list(it)
        except OSError as exc:
            result.skipped.append(Skipped(_show(rel_dir), f"folder unreadable ({exc.strerror})"))
            continue
        for entry in entries:
            rel = os.path.join(rel_dir, entry.name) if rel_dir else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                result.skipped.append(Skipped(_show(rel), f"cannot stat ({exc.strerror})"))
                continue
            if stat.S_ISDIR(st.st_mode):
                if st.st_dev != root_dev:
                    result.skipped.append(Skipped(_show(rel), "other filesystem inside (not entered)"))
                elif depth >= MAX_DEPTH:
                    result.skipped.append(Skipped(_show(rel), f"deeper than {MAX_DEPTH} (not entered)"))
                else:
                    stack.append((rel, depth + 1))
            elif stat.S_ISREG(st.st_mode):
                result.files.append(
                    SourceFile(rel, st.st_size, st.st_mtime_ns, Path(os.fsdecode(os.path.join(root_b, rel))))
                )
            else:
                result.skipped.append(Skipped(_show(rel), _kind(st.st_mode)))
    result.files.sort(key=lambda f: f.relpath_bytes)
    return result


def _show(rel: bytes) -> str:
    return rel.decode("utf-8", "backslashreplace") or "."


def key_relpath(relpath_bytes: bytes) -> str:
    try:
        return relpath_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return "hex:" + relpath_bytes.hex()


def source_key(device_serial: str | None, f: SourceFile) -> str:
    """(device serial, relative path, size, mtime_ns) as unambiguous JSON text."""
    return json.dumps(
        [device_serial, key_relpath(f.relpath_bytes), f.size, f.mtime_ns],
        ensure_ascii=True,
        separators=(",", ":"),
    )


def open_no_follow(path: Path) -> BinaryIO:
    """Open a source for reading, refusing a symlink swapped in after the scan, never blocking
    on a FIFO (copy_and_hash then refuses anything that is not a regular file)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        os.set_blocking(fd, True)
        return open(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def opener_expecting(f: SourceFile) -> Callable[[Path], BinaryIO]:
    """`open_no_follow`, refusing a file that is no longer the one scanned (size or mtime moved)."""

    def _open(path: Path) -> BinaryIO:
        fh = open_no_follow(path)
        st = os.fstat(fh.fileno())
        if (st.st_size, st.st_mtime_ns) != (f.size, f.mtime_ns):
            fh.close()
            raise SourceChangedError(
                f"{path}: changed since it was scanned (size {f.size} -> {st.st_size}, "
                f"mtime_ns {f.mtime_ns} -> {st.st_mtime_ns})"
            )
        return fh

    return _open


class QuietTracker:
    """Which files have kept the same size and mtime for `quiet_seconds` (clock injected)."""

    def __init__(self, quiet_seconds: float, clock: Callable[[], float]):
        self.quiet_seconds = quiet_seconds
        self._clock = clock
        self._seen: dict[bytes, tuple[int, int, float]] = {}

    def observe(self, files: list[SourceFile]) -> tuple[list[SourceFile], list[SourceFile]]:
        """(quiet files, files still changing or seen too recently)."""
        now = self._clock()
        ready, waiting = [], []
        current: dict[bytes, tuple[int, int, float]] = {}
        for f in files:
            prev = self._seen.get(f.relpath_bytes)
            since = prev[2] if prev and prev[:2] == (f.size, f.mtime_ns) else now
            current[f.relpath_bytes] = (f.size, f.mtime_ns, since)
            (ready if now - since >= self.quiet_seconds else waiting).append(f)
        self._seen = current
        return ready, waiting

    def next_due(self) -> float | None:
        """Clock time at which the next waiting file becomes quiet (None if none waits)."""
        now = self._clock()
        dues = [s + self.quiet_seconds for _, _, s in self._seen.values() if s + self.quiet_seconds > now]
        return min(dues) if dues else None
