"""A new file that appears at its name complete or not at all, and is never written over.

The bytes go into an unnamed file (O_TMPFILE) in the destination's directory; only when the writer is
done is it fsynced, hashed from what is on disk, and linked to its name with linkat, which fails if the
name exists. A process killed at any point leaves nothing: an unnamed file vanishes with its last fd.
Where the filesystem has no O_TMPFILE, a dot-named `.partial` file stands in and is removed on every
error path this process sees (a SIGKILL would leave it, under a name no reader takes for a copy).
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class DestinationExists(Exception):
    """A derived file is never overwritten."""


@dataclass
class Written:
    sha256: str = ""
    size: int = 0


@contextmanager
def new_file(destination: Path) -> Iterator[tuple[object, Written]]:
    """Yield (binary file open for read/write, Written); on a clean exit the file gets its name and
    Written its sha256 and size. On any exception nothing appears at `destination`."""
    destination = Path(destination)
    if destination.exists():
        raise DestinationExists(f"{destination} already exists: a derived copy is never overwritten")
    fd, partial = _open_unnamed(destination.parent)
    written = Written()
    try:
        with os.fdopen(os.dup(fd), "w+b") as fh:
            yield fh, written
        written.sha256, written.size = _digest(fd)
        _link(fd, partial, destination)
    except FileExistsError as exc:
        raise DestinationExists(f"{destination} appeared while we wrote: not overwritten") from exc
    finally:
        os.close(fd)
        if partial is not None:
            partial.unlink(missing_ok=True)


def _open_unnamed(directory: Path) -> tuple[int, Path | None]:
    try:
        return os.open(directory, os.O_TMPFILE | os.O_RDWR, 0o644), None
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            raise
    fd, name = tempfile.mkstemp(dir=directory, prefix=".redaction-", suffix=".partial")
    return fd, Path(name)


def _digest(fd: int) -> tuple[str, int]:
    os.fsync(fd)
    digest, size = hashlib.sha256(), 0
    os.lseek(fd, 0, os.SEEK_SET)
    while chunk := os.read(fd, 1 << 20):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _link(fd: int, partial: Path | None, destination: Path) -> None:
    if partial is None:
        # linkat(AT_SYMLINK_FOLLOW) through /proc names the unnamed file; Python calls plain link()
        # (which would link the /proc symlink itself) unless a directory fd is passed.
        proc = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.link(str(fd), destination, src_dir_fd=proc, follow_symlinks=True)
        finally:
            os.close(proc)
    else:
        os.link(partial, destination)
    dir_fd = os.open(destination.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
