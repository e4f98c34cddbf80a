"""A file that hashes what is written to it, for recordings written front to back.

Live UVC capture writes fragmented MP4 segments sequentially; `HashingWriter`
hashes each byte on its way to disk, so a closed segment has its digests without
a second read. It refuses to seek (a rewrite would desynchronise the hash from
the file): muxers must write front to back. `close()` fsyncs the file and its
directory and returns the digest.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from hashing.digest import Digest, StreamHasher
from hashing.parts import DEFAULT_PART_SIZE
from hashing.pipeline import fsync_dir

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


class HashingWriter(io.RawIOBase):
    """Sequential writer that hashes while writing.

    The writer owns the file position: only `write` moves it, and `seek` to
    anywhere but the current position raises `io.UnsupportedOperation`.
    """

    def __init__(
        self, path: str | os.PathLike, part_size: int = DEFAULT_PART_SIZE, sync_every: int = 4 * 1024 * 1024
    ):
        super().__init__()
        self.path = Path(path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o444)
        self._hasher = StreamHasher(part_size)
        self._sync_every = sync_every
        self._unsynced = 0
        self._digest: Digest | None = None

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._hasher.size

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: offset, io.SEEK_CUR: self.tell() + offset}.get(whence)
        if target != self.tell():
            raise io.UnsupportedOperation("HashingWriter is written front to back only")
        return target

    def write(self, data: ReadableBuffer) -> int:
        if self.closed:
            raise ValueError("write to a closed HashingWriter")
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            # Hash each chunk as it lands, so bytes on disk are always bytes hashed,
            # even when a later chunk of this call fails (disk full).
            written = os.write(self._fd, view[done:])
            self._hasher.update(view[done : done + written])
            done += written
        self._unsynced += len(view)
        if self._unsynced >= self._sync_every:
            # Bounded loss on power cut: what is fsynced stays playable (fragmented MP4).
            os.fdatasync(self._fd)
            self._unsynced = 0
        return len(view)

    @property
    def bytes_written(self) -> int:
        return self._hasher.size

    def close(self) -> None:
        if not self.closed:
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
            fsync_dir(self.path.parent)
            self._digest = self._hasher.digest()
        super().close()

    def digest(self) -> Digest:
        """The digest of everything written; the writer must be closed first."""
        if self._digest is None:
            raise ValueError("close the HashingWriter before asking for its digest")
        return self._digest
