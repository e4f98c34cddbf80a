"""Read once, hash twice, write once: the evidence copy-and-hash pipeline.

One reader fills a bounded pool of preallocated buffers with `readinto`; each
filled buffer goes to two hasher threads (whole-file SHA-256, per-part SHA-256)
and, when copying, a writer thread. hashlib and file I/O release the GIL, so on
two cores the two hashes run side by side and the copy hides behind them. A
buffer returns to the pool when every consumer is done with it, so memory is
bounded by the pool whatever the file size.

The destination is written with O_DIRECT where the filesystem allows it: the
pool's buffers are page-aligned (anonymous mmap), so the disk takes the bytes
straight from them, with no copy into the page cache and no writeback left for
the final fsync; that keeps both cores for hashing. Where O_DIRECT is refused
(tmpfs, an unaligned short read, the unaligned tail of the file) the writer
falls back to buffered writes, starting writeback of each written window at
once and waiting for the window before last (`sync_file_range`), so the final
fsync has little left to do and dirty memory stays bounded.

`copy_and_hash` writes under a temporary name beside the destination, fsyncs
the file, renames it into place and fsyncs the directory. A source that comes
up short, grows, changes size or mtime, vanishes or fails to read, and a
destination that fails to write (ENOSPC), all raise a `HashingError` subclass
naming the file, and leave no destination behind.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import io
import mmap
import os
import queue
import stat
import threading
from collections.abc import Callable
from pathlib import Path

from hashing.digest import Digest, PartHasher, WholeHasher, make_digest
from hashing.errors import (
    DestinationError,
    HashingError,
    ShortSourceError,
    SourceChangedError,
    SourceGrewError,
    SourceUnreadableError,
    SourceVanishedError,
)
from hashing.parts import MIB, part_size_for

BUFFER_SIZE = 4 * MIB
BUFFER_COUNT = 8  # the pool: 32 MiB
FLUSH_WINDOW = 64 * MIB
DIRECT_ALIGN = 4096
_O_DIRECT = getattr(os, "O_DIRECT", 0)

Progress = Callable[[int], None]  # called with the bytes read so far
Writer = Callable[[int, memoryview], int]  # os.write's shape: (fd, data) -> bytes written

_VANISHED_ERRNOS = {errno.ENODEV, errno.ENXIO, errno.ENOENT, errno.ESTALE, errno.EIO}


def _load_sync_file_range() -> Callable[[int, int, int, int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_sync_file_range = _load_sync_file_range()
_SFR_WAIT_BEFORE, _SFR_WRITE, _SFR_WAIT_AFTER = 1, 2, 4


class _Consumer(threading.Thread):
    """A thread that applies `work` to each buffer handed to it, in order."""

    def __init__(self, name: str, work: Callable[[memoryview], None], engine: _Engine):
        super().__init__(name=name, daemon=True)
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._work = work
        self._engine = engine
        self.error: BaseException | None = None

    def run(self) -> None:
        while True:
            item = self.inbox.get()
            if item is None:
                return
            index, length = item
            if self.error is None and not self._engine.aborted.is_set():
                try:
                    self._work(self._engine.views[index][:length])
                except BaseException as exc:  # handed back to the reader thread
                    self.error = exc
                    self._engine.aborted.set()
            self._engine.release(index)


class _Engine:
    """The bounded buffer pool shared by the reader and the consumers."""

    def __init__(self, buffer_size: int, buffer_count: int):
        # Anonymous mmaps are page-aligned, as O_DIRECT writes need.
        self._maps = [mmap.mmap(-1, buffer_size) for _ in range(buffer_count)]
        self.views = [memoryview(m) for m in self._maps]
        self.free: queue.SimpleQueue = queue.SimpleQueue()
        for i in range(buffer_count):
            self.free.put(i)
        self._pending = [0] * buffer_count
        self._lock = threading.Lock()
        self.aborted = threading.Event()

    def hand_out(self, index: int, length: int, consumers: list[_Consumer]) -> None:
        self._pending[index] = len(consumers)
        for c in consumers:
            c.inbox.put((index, length))

    def release(self, index: int) -> None:
        with self._lock:
            self._pending[index] -= 1
            done = self._pending[index] == 0
        if done:
            self.free.put(index)


class _WindowedWriter:
    """Writes in order and keeps writeback running behind the writes."""

    def __init__(self, fd: int, write: Writer, flush_window: int, label: Path, direct: bool = False):
        self.fd = fd
        self.direct = direct
        self._label = label
        self._write = write
        self._window = flush_window
        self.offset = 0
        self._started = 0  # writeback started up to here
        self._waited = 0  # writeback finished up to here

    def __call__(self, view: memoryview) -> None:
        try:
            self._write_all(view)
        except OSError as exc:
            raise DestinationError(f"{self._label}: cannot write ({exc})") from exc

    def _write_all(self, view: memoryview) -> None:
        if self.direct:
            view = self._write_direct(view)
        while len(view):
            written = self._write(self.fd, view)
            if written <= 0:
                raise OSError(errno.EIO, f"write returned {written}")
            view = view[written:]
            self.offset += written
        if _sync_file_range is not None and self.offset - self._started >= self._window:
            self._sync(self._started, self.offset - self._started, _SFR_WRITE)
            if self._started - self._waited >= self._window:
                flags = _SFR_WAIT_BEFORE | _SFR_WRITE | _SFR_WAIT_AFTER
                self._sync(self._waited, self._started - self._waited, flags)
                self._waited = self._started
            self._started = self.offset

    def _write_direct(self, view: memoryview) -> memoryview:
        """Write the aligned part with O_DIRECT; return what must go through the page cache."""
        aligned = 0 if self.offset % DIRECT_ALIGN else len(view) - len(view) % DIRECT_ALIGN
        try:
            while aligned:
                written = self._write(self.fd, view[:aligned])
                if written <= 0 or written % DIRECT_ALIGN:
                    raise OSError(errno.EIO, f"direct write returned {written}")
                view, aligned, self.offset = view[written:], aligned - written, self.offset + written
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
        if len(view):
            self._buffered_from_now_on()
        return view

    def _buffered_from_now_on(self) -> None:
        self.direct = False
        flags = fcntl.fcntl(self.fd, fcntl.F_GETFL)
        fcntl.fcntl(self.fd, fcntl.F_SETFL, flags & ~_O_DIRECT)
        self._started = self._waited = self.offset

    def _sync(self, start: int, length: int, flags: int) -> None:
        assert _sync_file_range is not None  # called only where it is available
        if _sync_file_range(self.fd, start, length, flags) != 0:
            err = ctypes.get_errno()
            if err not in (errno.EINVAL, errno.ESPIPE, errno.ENOSYS):  # not supported here
                raise OSError(err, os.strerror(err))


def _pump(
    source: io.RawIOBase,
    part_size: int,
    *,
    limit: int | None,
    label: Path,
    write: Callable[[memoryview], None] | None,
    progress: Progress | None,
    buffer_size: int,
    buffer_count: int,
) -> Digest:
    """Read `source` to its end (or past `limit`, which raises) through the pool."""
    engine = _Engine(buffer_size, buffer_count)
    whole, parts = WholeHasher(), PartHasher(part_size)
    consumers = [
        _Consumer("sha256-whole", whole.update, engine),
        _Consumer("sha256-parts", parts.update, engine),
    ]
    if write is not None:
        consumers.append(_Consumer("writer", write, engine))
    for c in consumers:
        c.start()
    total = 0
    try:
        while not engine.aborted.is_set():
            index = engine.free.get()
            if engine.aborted.is_set():
                break
            length = source.readinto(engine.views[index])
            if not length:
                engine.free.put(index)
                break
            total += length
            if limit is not None and total > limit:
                engine.free.put(index)
                raise SourceGrewError(f"{label}: source gave more than the {limit} bytes it declared")
            engine.hand_out(index, length, consumers)
            if progress is not None:
                progress(total)
    except BaseException:
        engine.aborted.set()
        raise
    finally:
        for c in consumers:
            c.inbox.put(None)
        for c in consumers:
            c.join()
    for c in consumers:
        if c.error is not None:
            raise c.error
    return make_digest(whole, parts)


def _open_source(path: Path) -> io.RawIOBase:
    return open(path, "rb", buffering=0)


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _source_error(path: Path, exc: OSError) -> HashingError:
    if isinstance(exc, FileNotFoundError):
        return SourceVanishedError(f"{path}: no such file (missing, or removed while reading)")
    if exc.errno in _VANISHED_ERRNOS:
        return SourceVanishedError(f"{path}: source went away while reading ({exc})")
    return SourceUnreadableError(f"{path}: cannot read source ({exc})")


def hash_file(
    path: str | os.PathLike,
    part_size: int | None = None,
    *,
    progress: Progress | None = None,
    opener: Callable[[Path], io.RawIOBase] = _open_source,
    buffer_size: int = BUFFER_SIZE,
    buffer_count: int = BUFFER_COUNT,
) -> Digest:
    """Both digests of a file in one read. The size is checked before and after."""
    path = Path(path)
    try:
        with opener(path) as source:
            before = os.fstat(source.fileno())
            size = part_size or part_size_for(before.st_size)
            _advise_sequential(source)
            digest = _pump(
                source,
                size,
                limit=before.st_size,
                label=path,
                write=None,
                progress=progress,
                buffer_size=buffer_size,
                buffer_count=buffer_count,
            )
            _check_unchanged(path, before, os.fstat(source.fileno()), digest.size)
    except HashingError:
        raise
    except OSError as exc:
        raise _source_error(path, exc) from exc
    return digest


def copy_and_hash(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    part_size: int | None = None,
    *,
    progress: Progress | None = None,
    opener: Callable[[Path], io.RawIOBase] = _open_source,
    writer: Writer = os.write,
    buffer_size: int = BUFFER_SIZE,
    buffer_count: int = BUFFER_COUNT,
    flush_window: int = FLUSH_WINDOW,
    direct_io: bool = True,
) -> Digest:
    """Copy `src` to `dst` durably, hashing the bytes read, in one pass.

    On success `dst` holds exactly the bytes hashed, fsynced, with its directory
    entry fsynced. On any failure `dst` does not exist (an existing `dst` is
    refused up front: evidence is never overwritten) and the error says why.
    """
    src, dst = Path(src), Path(dst)
    if dst.exists():
        raise DestinationError(f"{dst}: destination already exists; evidence is never overwritten")
    tmp = dst.with_name(f".{dst.name}.partial")
    try:
        source = opener(src)
    except OSError as exc:
        raise _source_error(src, exc) from exc
    with source:
        try:
            before = os.fstat(source.fileno())
        except OSError as exc:
            raise _source_error(src, exc) from exc
        if not stat.S_ISREG(before.st_mode):
            raise SourceUnreadableError(f"{src}: not a regular file")
        size = part_size or part_size_for(before.st_size)
        _advise_sequential(source)
        fd, direct = _open_destination(tmp, direct_io)
        try:
            out = _WindowedWriter(fd, writer, flush_window, dst, direct=direct)
            try:
                digest = _pump(
                    source,
                    size,
                    limit=before.st_size,
                    label=src,
                    write=out,
                    progress=progress,
                    buffer_size=buffer_size,
                    buffer_count=buffer_count,
                )
            except OSError as exc:
                raise _source_error(src, exc) from exc
            try:
                _check_unchanged(src, before, os.fstat(source.fileno()), digest.size)
            except OSError as exc:
                raise _source_error(src, exc) from exc
            try:
                os.fsync(fd)
            except OSError as exc:
                raise DestinationError(f"{dst}: cannot make durable ({exc})") from exc
        except BaseException:
            os.close(fd)
            _unlink_quietly(tmp)
            raise
        os.close(fd)
    try:
        os.rename(tmp, dst)
        fsync_dir(dst.parent)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise DestinationError(f"{dst}: cannot move into place ({exc})") from exc
    return digest


def _open_destination(path: Path, direct_io: bool) -> tuple[int, bool]:
    # A leftover temporary file is a copy that never completed (a crash or power
    # cut mid-copy): it never counted as evidence, and the original is still on
    # its source, so it is replaced.
    _unlink_quietly(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    if direct_io and _O_DIRECT:
        try:
            return os.open(path, flags | _O_DIRECT, 0o444), True
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # EINVAL: this filesystem has no O_DIRECT
                raise DestinationError(f"{path}: cannot create ({exc})") from exc
    try:
        return os.open(path, flags, 0o444), False
    except OSError as exc:
        raise DestinationError(f"{path}: cannot create ({exc})") from exc


def _check_unchanged(path: Path, before: os.stat_result, after: os.stat_result, read: int) -> None:
    if read < before.st_size:
        raise ShortSourceError(f"{path}: source gave {read} of the {before.st_size} bytes it declared")
    if _identity(after) != _identity(before):
        raise SourceChangedError(
            f"{path}: source changed while copying "
            f"(size {before.st_size} -> {after.st_size}, mtime_ns {before.st_mtime_ns} -> "
            f"{after.st_mtime_ns})"
        )
    try:
        now = os.stat(path)
    except FileNotFoundError as exc:
        raise SourceVanishedError(f"{path}: source disappeared while copying") from exc
    if _identity(now) != _identity(before):
        raise SourceChangedError(f"{path}: source was replaced while copying")


def _advise_sequential(source: io.RawIOBase) -> None:
    try:
        os.posix_fadvise(source.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
    except (AttributeError, OSError, ValueError):
        pass


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def fsync_dir(path: str | os.PathLike) -> None:
    """fsync a directory so a rename or a new entry in it survives power loss."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
