"""Part sizing for S3 multipart uploads.

S3 limits a multipart upload to 10,000 parts of at least 5 MiB each (the last
part may be smaller). Evidence files are hashed in fixed-size parts chosen by
this rule, so the part digests computed at the first read are the ones the
store later checks.
"""

from __future__ import annotations

MIB = 1024 * 1024
DEFAULT_PART_SIZE = 8 * MIB
MIN_PART_SIZE = 5 * MIB
MAX_PART_SIZE = 5 * 1024 * MIB
MAX_PARTS = 10_000


def part_size_for(size: int, preferred: int = DEFAULT_PART_SIZE) -> int:
    """The part size for a file of `size` bytes.

    `preferred` (8 MiB by default) is kept while the file fits in 10,000 parts;
    otherwise the size grows in whole MiB until it does. Never below 5 MiB.
    """
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    if preferred < MIN_PART_SIZE:
        raise ValueError(f"part size {preferred} is below S3's minimum of {MIN_PART_SIZE} bytes")
    if preferred > MAX_PART_SIZE:
        raise ValueError(f"part size {preferred} is above S3's maximum of {MAX_PART_SIZE} bytes")
    if part_count(size, preferred) <= MAX_PARTS:
        return preferred
    needed = -(-size // MAX_PARTS)  # ceil
    grown = -(-needed // MIB) * MIB
    if grown > MAX_PART_SIZE:
        raise ValueError(f"a file of {size} bytes does not fit in {MAX_PARTS} parts of at most 5 GiB")
    return grown


def part_count(size: int, part_size: int) -> int:
    """How many parts a file of `size` bytes has; an empty file has one empty part."""
    if part_size <= 0:
        raise ValueError(f"part size must be positive, got {part_size}")
    return max(1, -(-size // part_size))


def part_range(number: int, size: int, part_size: int) -> tuple[int, int]:
    """Byte range [start, end) of 1-based part `number` in a file of `size` bytes."""
    count = part_count(size, part_size)
    if not 1 <= number <= count:
        raise ValueError(f"part {number} out of range 1..{count}")
    start = (number - 1) * part_size
    return start, min(start + part_size, size)
