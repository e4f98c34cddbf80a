"""A source or destination that misbehaves mid-copy: a clear error, no destination.

Each fault is made for real on the file (truncate, append, touch, unlink) or
injected where the machine cannot make it (a USB device vanishing, ENOSPC).
"""

from __future__ import annotations

import errno
import os

import pytest

from hashing import (
    DestinationError,
    ShortSourceError,
    SourceChangedError,
    SourceGrewError,
    SourceUnreadableError,
    SourceVanishedError,
    copy_and_hash,
    hash_file,
)

SIZE = 3 * 1024 * 1024 + 17
BUF = 256 * 1024


class FaultySource:
    """A real file that something happens to after the first read."""

    def __init__(self, path, fault):
        self._fh = open(path, "rb", buffering=0)
        self._path = path
        self._fault = fault
        self._reads = 0

    def readinto(self, view):
        self._reads += 1
        if self._reads == 2:
            self._fault(self._path)
        return self._fh.readinto(view)

    def fileno(self):
        return self._fh.fileno()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


def truncate(path):
    os.truncate(path, SIZE // 2)


def grow(path):
    with open(path, "ab") as fh:
        fh.write(b"x" * (4 * BUF))


def touch(path):
    os.utime(path, ns=(1, 1))


def unplug(path):
    raise OSError(errno.ENODEV, "No such device")


def io_error(path):
    raise OSError(errno.EIO, "Input/output error")


def unlink(path):
    os.unlink(path)


FAULTS = [
    (truncate, ShortSourceError, "gave"),
    (grow, SourceGrewError, "more than"),
    (touch, SourceChangedError, "changed"),
    (unplug, SourceVanishedError, "went away"),
    (io_error, SourceVanishedError, "went away"),
    (unlink, SourceVanishedError, "disappeared"),
]


def assert_no_destination(dst):
    assert not dst.exists(), "a complete-looking destination was left behind"
    assert not list(dst.parent.glob(f".{dst.name}*")), "a temporary file was left behind"


@pytest.mark.parametrize(("fault", "error", "words"), FAULTS, ids=lambda v: getattr(v, "__name__", v))
def test_copy_refuses_a_misbehaving_source(make_file, tmp_path, fault, error, words):
    src = make_file(SIZE)
    dst = tmp_path / "out" / "clip.mp4"
    dst.parent.mkdir()
    with pytest.raises(error, match=words) as info:
        copy_and_hash(src, dst, opener=lambda p: FaultySource(p, fault), buffer_size=BUF, buffer_count=2)
    assert str(src) in str(info.value)
    assert_no_destination(dst)


@pytest.mark.parametrize(("fault", "error", "words"), FAULTS, ids=lambda v: getattr(v, "__name__", v))
def test_hash_refuses_a_misbehaving_source(make_file, fault, error, words):
    src = make_file(SIZE)
    with pytest.raises(error, match=words):
        hash_file(src, opener=lambda p: FaultySource(p, fault), buffer_size=BUF, buffer_count=2)


def test_unreadable_source(make_file, tmp_path):
    src = make_file(SIZE)
    dst = tmp_path / "clip.mp4"

    def denied(path):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    with pytest.raises(SourceUnreadableError, match="cannot read"):
        copy_and_hash(src, dst, opener=denied)
    assert_no_destination(dst)


def test_missing_source(tmp_path):
    with pytest.raises(SourceVanishedError, match="no such file"):
        copy_and_hash(tmp_path / "gone.mp4", tmp_path / "dst.mp4")
    assert not (tmp_path / "dst.mp4").exists()


def test_not_a_regular_file(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SourceUnreadableError, match="not a regular file"):
        copy_and_hash(
            fifo,
            tmp_path / "dst",
            opener=lambda p: open(os.open(p, os.O_RDONLY | os.O_NONBLOCK), "rb", buffering=0),
        )
    assert not (tmp_path / "dst").exists()


def test_disk_full_mid_copy(make_file, tmp_path):
    src = make_file(SIZE)
    dst = tmp_path / "clip.mp4"
    written = 0

    def fills_up(fd, data):
        nonlocal written
        if written + len(data) > SIZE // 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        written += os.write(fd, data)
        return len(data)

    with pytest.raises(DestinationError, match="No space left"):
        copy_and_hash(src, dst, writer=fills_up, buffer_size=BUF, buffer_count=2)
    assert_no_destination(dst)
    assert src.read_bytes() == make_file(SIZE, name="again.bin").read_bytes(), "the source was changed"


def test_existing_destination_is_never_overwritten(make_file, tmp_path):
    src = make_file(SIZE)
    dst = tmp_path / "clip.mp4"
    dst.write_bytes(b"earlier evidence")
    with pytest.raises(DestinationError, match="already exists"):
        copy_and_hash(src, dst)
    assert dst.read_bytes() == b"earlier evidence"


def test_memory_is_bounded_by_the_pool(make_file, tmp_path):
    """The pool is allocated once: buffers handed out never exceed its size."""
    from hashing import pipeline

    sizes = []
    real_engine = pipeline._Engine

    class CountingEngine(real_engine):
        def __init__(self, buffer_size, buffer_count):
            super().__init__(buffer_size, buffer_count)
            sizes.append(sum(len(v) for v in self.views))

    src = make_file(SIZE)
    pipeline._Engine = CountingEngine
    try:
        copy_and_hash(src, tmp_path / "a", buffer_size=BUF, buffer_count=3)
    finally:
        pipeline._Engine = real_engine
    assert sizes == [3 * BUF]


def test_filesystem_without_direct_io_falls_back_to_buffered_writes(make_file, tmp_path):
    import fcntl

    src = make_file(SIZE)
    dst = tmp_path / "clip.mp4"
    calls = {"refused": 0}

    def refuses_direct(fd, data):
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            calls["refused"] += 1
            raise OSError(errno.EINVAL, "Invalid argument")
        return os.write(fd, data)

    digest = copy_and_hash(src, dst, writer=refuses_direct, buffer_size=BUF, buffer_count=2)
    assert calls["refused"] == 1
    assert dst.read_bytes() == src.read_bytes()
    assert digest.sha256 == hash_file(src).sha256


def test_stale_partial_from_a_crash_is_replaced(make_file, tmp_path):
    src = make_file(SIZE)
    dst = tmp_path / "clip.mp4"
    (tmp_path / ".clip.mp4.partial").write_bytes(b"half a copy from before the power cut")
    copy_and_hash(src, dst)
    assert dst.read_bytes() == src.read_bytes()
    assert not (tmp_path / ".clip.mp4.partial").exists()
