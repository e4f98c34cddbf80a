"""Offload benchmark: 10 clips of 200 MB from a folder into the spool (issue 3).

Ours: `edge_agent.manual.offload.manual_offload` (what `evidence-agent offload` runs):
copy + whole-file SHA-256 + part digests + fsync of file and directory, a PyAV
probe, the journal commits. Anchor, alternated with ours in the same run:
`cp -r` of the folder followed by `openssl dgst -sha256` over the copied files
(no fsync: the anchor is not even durable). A second anchor adds `sync` after
`cp -r`, the fair durable comparison.

Honest notes: the clips are random bytes, not video. Offload never decodes a
clip beyond the probe, so copy and hashing cost the same; the PyAV probe of a
random file fails fast and no thumbnail is taken (a real clip adds one decoded
frame and one JPEG, a few milliseconds per clip). Source files are in the page
cache (read once before timing), as in the hashing benchmark.
"""

from __future__ import annotations

import shutil
import subprocess

from bench.common import data_dir, make_file, median, peak_rss_mb, timed, warm

CLIPS = 10
CLIP_SIZE = 200 * 1000 * 1000
ROUNDS = 3


def _ours(src, spool) -> None:
    from edge_agent.manual.offload import manual_offload

    summary, code = manual_offload(src, spool, min_free_bytes=0)
    if code != 0 or len(summary["clips"]) != CLIPS:
        raise RuntimeError(f"offload did not spool every clip (exit {code}): {summary['counts']}")


def run(report) -> None:
    base = data_dir() / "offload"
    src, spool, anchor = base / "camera", base / "spool", base / "cp-copy"
    shutil.rmtree(base, ignore_errors=True)
    try:
        src.mkdir(parents=True)
        files = [make_file(src / f"CLIP{i:04d}.MP4", CLIP_SIZE, seed=100 + i) for i in range(CLIPS)]
        for f in files:
            warm(f)
        ours, cp_openssl, cp_sync_openssl = [], [], []
        anchor_cmd = f"cp -r '{src}' '{anchor}' && openssl dgst -sha256 '{anchor}'/*.MP4"
        durable_cmd = f"cp -r '{src}' '{anchor}' && sync && openssl dgst -sha256 '{anchor}'/*.MP4"
        for _ in range(ROUNDS):
            cp_openssl.append(timed(anchor_cmd))
            shutil.rmtree(anchor)
            subprocess.run(["sync"], check=True)
            ours.append(timed(lambda: _ours(src, spool)))
            shutil.rmtree(spool)
            cp_sync_openssl.append(timed(durable_cmd))
            shutil.rmtree(anchor)
            subprocess.run(["sync"], check=True)
        o, a, d = median(ours), median(cp_openssl), median(cp_sync_openssl)
        total = CLIPS * CLIP_SIZE
        report(
            "cp -r then openssl dgst -sha256 (anchor)", f"{a:.2f} s ({total / a / 1e6:.0f} MB/s)", "anchor"
        )
        report(
            "offload of 10 x 200 MB vs cp -r then openssl",
            f"{a / o:.2f}x faster ({o:.2f} s, {total / o / 1e6:.0f} MB/s, fsynced + journaled)",
            "goal >= 1.5x",
        )
        report(
            "offload vs cp -r, sync, then openssl (durable anchor)",
            f"{d / o:.2f}x faster ({d:.2f} s anchor)",
            "information",
        )
        rss = peak_rss_mb(
            f"from edge_agent.manual.offload import manual_offload; "
            f"manual_offload(__import__('pathlib').Path({str(src)!r}), "
            f"__import__('pathlib').Path({str(spool)!r}), min_free_bytes=0)"
        )
        base_rss = peak_rss_mb("import edge_agent.manual.offload, av, cv2, firmware_profiles")
        report(
            "peak RSS of an offload process (10 x 200 MB)",
            f"{rss:.0f} MB ({base_rss:.0f} MB is imports: PyAV, OpenCV, numpy)",
            "bounded by the buffer pool: < 150 MB above imports",
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
