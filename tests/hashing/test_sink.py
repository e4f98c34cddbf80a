"""HashingWriter: bytes written front to back are hashed on the way to disk."""

from __future__ import annotations

import io

import pytest

from hashing import MIN_PART_SIZE, HashingWriter, hash_file


def test_written_bytes_are_hashed_like_a_later_read(tmp_path):
    path = tmp_path / "segment.mp4"
    with HashingWriter(path, part_size=MIN_PART_SIZE, sync_every=1024 * 1024) as out:
        for i in range(40):
            out.write(bytes([i]) * 300_001)
    assert out.digest() == hash_file(path, MIN_PART_SIZE)
    assert out.bytes_written == 40 * 300_001


def test_refuses_to_seek_back_and_to_overwrite(tmp_path):
    path = tmp_path / "segment.mp4"
    with HashingWriter(path) as out:
        out.write(b"abc")
        assert out.seek(0, io.SEEK_CUR) == 3
        with pytest.raises(io.UnsupportedOperation):
            out.seek(0)
    with pytest.raises(FileExistsError):
        HashingWriter(path)
    assert path.read_bytes() == b"abc"


def test_digest_needs_close(tmp_path):
    out = HashingWriter(tmp_path / "x")
    with pytest.raises(ValueError, match="close"):
        out.digest()
    out.close()
    assert out.digest().size == 0


def test_a_failed_write_leaves_the_hash_equal_to_the_bytes_on_disk(tmp_path, monkeypatch):
    import errno
    import os as os_mod

    from hashing import sink

    path = tmp_path / "segment.mp4"
    out = HashingWriter(path, part_size=MIN_PART_SIZE)
    real_write = os_mod.write
    calls = {"n": 0}

    def short_then_full(fd, data):
        calls["n"] += 1
        if calls["n"] == 1:
            return real_write(fd, bytes(data[:1000]))  # a short write...
        raise OSError(errno.ENOSPC, "No space left on device")  # ...then the disk is full

    monkeypatch.setattr(sink.os, "write", short_then_full)
    with pytest.raises(OSError, match="No space"):
        out.write(b"x" * 5000)
    monkeypatch.setattr(sink.os, "write", real_write)
    out.close()
    assert path.stat().st_size == 1000
    assert out.digest() == hash_file(path, MIN_PART_SIZE)
