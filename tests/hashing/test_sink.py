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
