"""Hashing benchmarks on a 2 GiB file in the page cache; each goal is a ratio to an anchor.

Anchors, measured in the same run and alternated with our runs:
`openssl dgst -sha256` (hashing is the limit) and `cp` then `sha256sum`.
"""

from __future__ import annotations

import hashing
from bench.common import GIB, data_dir, make_file, median, peak_rss_mb, remove, timed, warm

ROUNDS = 5


def run(report) -> None:
    d = data_dir()
    src = make_file(d / "hash-2g.bin", 2 * GIB, seed=2)
    dst = d / "hash-2g.copy"
    anchor_copy = d / "hash-2g.cp"
    warm(src)
    openssl, ours_hash, ours_copy, cp_sha = [], [], [], []
    for i in range(ROUNDS):
        openssl.append(timed(["openssl", "dgst", "-sha256", str(src)]))
        ours_hash.append(timed(lambda: hashing.hash_file(src)))
        remove(dst)
        ours_copy.append(timed(lambda: hashing.copy_and_hash(src, dst)))
        remove(dst)
        if i < 3:  # the slow anchor: three rounds are enough for a median
            cp_sha.append(timed(f"cp '{src}' '{anchor_copy}' && sha256sum '{anchor_copy}'"))
            remove(anchor_copy)
    o, h, c, a = map(median, (openssl, ours_hash, ours_copy, cp_sha))
    gbs = lambda t: 2 * GIB / t / 1e9  # noqa: E731
    report("openssl dgst -sha256 (anchor)", f"{gbs(o):.2f} GB/s", "anchor")
    report("hash only, whole + parts vs openssl", f"{o / h:.2f}x ({gbs(h):.2f} GB/s)", "goal >= 0.95")
    report("copy + both digests + fsync vs openssl", f"{o / c:.2f}x ({gbs(c):.2f} GB/s)", "goal >= 0.9")
    report(
        "copy + both digests + fsync vs cp then sha256sum",
        f"{a / c:.2f}x faster ({gbs(a):.2f} GB/s anchor)",
        "goal >= 4x",
    )

    for size_gib in (2, 6):
        big = make_file(d / f"mem-{size_gib}g.bin", size_gib * GIB, seed=size_gib)
        out = d / f"mem-{size_gib}g.copy"
        remove(out)
        rss = peak_rss_mb(f"import hashing; hashing.copy_and_hash({str(big)!r}, {str(out)!r})")
        remove(out)
        report(
            f"peak RSS, copy+hash of {size_gib} GiB", f"{rss:.0f} MB", "goal < 150 MB, no growth with size"
        )
    remove(d / "mem-6g.bin")
