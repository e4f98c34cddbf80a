"""Known answers: hashlib, openssl and the part sizing rule."""

from __future__ import annotations

import base64
import hashlib
import subprocess

import pytest

from hashing import (
    MAX_PARTS,
    MIB,
    MIN_PART_SIZE,
    composite_checksum,
    copy_and_hash,
    digest_bytes,
    hash_file,
    part_count,
    part_size_for,
)

PART = MIN_PART_SIZE  # smallest legal part keeps the files small
SIZES = [0, 1, PART - 1, PART, PART + 1, 3 * PART + 12345]


def expected_parts(data: bytes, part_size: int) -> list[str]:
    chunks = [data[i : i + part_size] for i in range(0, len(data), part_size)] or [b""]
    return [hashlib.sha256(c).hexdigest() for c in chunks]


def openssl_sha256(path) -> str:
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-r", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return out.split()[0]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s}B")
def test_hash_file_matches_hashlib_and_openssl(make_file, size):
    path = make_file(size)
    data = path.read_bytes()
    digest = hash_file(path, PART)
    assert digest.size == size
    assert digest.sha256 == hashlib.sha256(data).hexdigest() == openssl_sha256(path)
    assert list(digest.parts) == expected_parts(data, PART)
    raw = [bytes.fromhex(p) for p in digest.parts]
    joined = base64.b64encode(hashlib.sha256(b"".join(raw)).digest()).decode()
    assert digest.s3_composite == f"{joined}-{len(raw)}"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s}B")
def test_copy_and_hash_gives_the_same_digest_and_bytes(make_file, tmp_path, size):
    src = make_file(size)
    dst = tmp_path / "copy.bin"
    digest = copy_and_hash(src, dst, PART)
    assert dst.read_bytes() == src.read_bytes()
    assert digest == hash_file(src, PART)
    assert not list(tmp_path.glob(".*.partial"))


@pytest.mark.parametrize("buffer_size", [1, 7, 4096, PART - 3, PART, 2 * PART + 1])
def test_chunking_never_changes_the_digest(make_file, buffer_size):
    path = make_file(2 * PART + 999)
    if buffer_size < 4096:  # tiny buffers on a small slice only, to stay fast
        path.write_bytes(path.read_bytes()[:50_000])
        part = 4096
    else:
        part = PART
    want = digest_bytes(path.read_bytes(), part)
    assert hash_file(path, part, buffer_size=buffer_size, buffer_count=3) == want


def test_empty_file_is_one_empty_part():
    digest = digest_bytes(b"", PART)
    assert digest.parts == (hashlib.sha256(b"").hexdigest(),)
    assert digest.s3_composite.endswith("-1")


def test_composite_needs_a_part():
    with pytest.raises(ValueError):
        composite_checksum([])


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, 8 * MIB),
        (8 * MIB * MAX_PARTS, 8 * MIB),  # exactly 10,000 parts of 8 MiB
        (8 * MIB * MAX_PARTS + 1, 9 * MIB),  # one byte more: grow by a whole MiB
        (100 * 1024**3, 11 * MIB),  # 100 GiB
        (5 * 1024**4, 525 * MIB),  # 5 TiB, S3's object limit
    ],
)
def test_part_size_rule_at_the_10000_part_limit(size, expected):
    chosen = part_size_for(size)
    assert chosen == expected
    assert chosen % MIB == 0
    assert part_count(size, chosen) <= MAX_PARTS
    if chosen > 8 * MIB:  # the smallest whole-MiB size that fits
        assert part_count(size, chosen - MIB) > MAX_PARTS


def test_part_size_never_below_s3_minimum():
    with pytest.raises(ValueError, match="minimum"):
        part_size_for(10, preferred=MIN_PART_SIZE - 1)
    assert part_size_for(10, preferred=MIN_PART_SIZE) == MIN_PART_SIZE
