"""Check a file, or a byte range of it, against its manifest.

The answer names exactly which parts differ (1-based, as S3 numbers them), so a
corrupt range can be pinpointed and re-fetched instead of the whole file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from hashing.digest import PartHasher
from hashing.manifest import Manifest
from hashing.parts import part_count
from hashing.pipeline import hash_file


@dataclass(frozen=True)
class Verification:
    ok: bool
    size_expected: int
    size_actual: int
    sha256_expected: str | None = None
    sha256_actual: str | None = None
    bad_parts: tuple[int, ...] = field(default_factory=tuple)
    checked_parts: tuple[int, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        if self.ok:
            return f"OK: {len(self.checked_parts)} part(s) match"
        lines = []
        if self.size_expected != self.size_actual:
            lines.append(f"size differs: expected {self.size_expected}, actual {self.size_actual}")
        if self.sha256_expected and self.sha256_expected != self.sha256_actual:
            lines.append(f"sha256 differs: expected {self.sha256_expected}, actual {self.sha256_actual}")
        if self.bad_parts:
            lines.append("bad parts: " + " ".join(str(n) for n in self.bad_parts))
        return "MISMATCH: " + "; ".join(lines)


def verify_file(path: str | os.PathLike[str], manifest: Manifest, **hash_kwargs: Any) -> Verification:
    """Re-hash the whole file with the manifest's part size and compare everything."""
    digest = hash_file(path, manifest.part_size, **hash_kwargs)
    count = max(len(manifest.parts), len(digest.parts))
    bad = tuple(
        n
        for n in range(1, count + 1)
        if n > len(manifest.parts) or n > len(digest.parts) or manifest.parts[n - 1] != digest.parts[n - 1]
    )
    ok = not bad and digest.size == manifest.size and digest.sha256 == manifest.sha256
    return Verification(
        ok=ok,
        size_expected=manifest.size,
        size_actual=digest.size,
        sha256_expected=manifest.sha256,
        sha256_actual=digest.sha256,
        bad_parts=bad,
        checked_parts=tuple(range(1, len(manifest.parts) + 1)),
    )


def verify_range(source: BinaryIO, manifest: Manifest, start: int, end: int) -> Verification:
    """Check bytes [start, end) of the original, read from `source` (positioned at `start`).

    The range must cover whole parts: `start` on a part boundary, `end` on a part
    boundary or at the end of the file.
    """
    if start % manifest.part_size:
        raise ValueError(f"range start {start} is not on a part boundary ({manifest.part_size})")
    if not (start <= end <= manifest.size) or (end % manifest.part_size and end != manifest.size):
        raise ValueError(f"range end {end} is not a part boundary or the end of the file")
    hasher = PartHasher(manifest.part_size)
    remaining = end - start
    while remaining:
        chunk = source.read(min(remaining, 4 * 1024 * 1024))
        if not chunk:
            break
        hasher.update(chunk)
        remaining -= len(chunk)
    got = end - start - remaining
    first = start // manifest.part_size + 1
    wanted = part_count(end - start, manifest.part_size) if end > start else 0
    numbers = tuple(range(first, first + wanted))
    digests = hasher.digests() if got else []
    bad = tuple(
        n for i, n in enumerate(numbers) if i >= len(digests) or digests[i].hex() != manifest.parts[n - 1]
    )
    return Verification(
        ok=not bad and got == end - start,
        size_expected=end - start,
        size_actual=got,
        bad_parts=bad,
        checked_parts=numbers,
    )
