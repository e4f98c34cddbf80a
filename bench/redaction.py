"""Redaction of a 720p30 H.264 clip: our pipeline as a ratio to real time, beside deface's own CLI.

The clip (10 s, generated: three real faces of different sizes moving, AAC audio) is made here. Ours is
the whole job at the release settings: scan (decode, detect every k-th frame at reduced size, track)
then render (decode, mask, encode H.264, audio copied). deface's CLI runs on the same clip in the same
run at its defaults (full-size detection on every frame, blur), with the CPU provider named as ours is,
and again at `--scale 640x360`. Then the recall each lever costs: detection width and every k-th frame.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common import data_dir
from ingest_server.redaction.detect import FaceDetector
from ingest_server.redaction.pipeline import ScanSettings, redact, scan
from ingest_server.redaction.tracks import regions_at
from tests.ingest_server.redaction import footage

FPS = 30
SECONDS = float(os.environ.get("REDACTION_BENCH_SECONDS", "10"))  # shorter when the machine is crowded
WIDTHS = (None, 960, 640, 480, 320)
STEPS = (1, 3, 5, 10)


def faces(frames: int) -> list[footage.Face]:
    return [
        footage.Face(scale=0.9, first=0, last=frames - 1, start=(0.02, 0.05), end=(0.45, 0.12)),
        footage.Face(
            scale=0.5, first=frames // 5, last=frames - 1, start=(0.85, 0.55), end=(0.60, 0.50), mirror=True
        ),
        footage.Face(
            scale=0.3, first=frames // 2, last=(frames * 9) // 10, start=(0.30, 0.70), end=(0.40, 0.75)
        ),
    ]


def run(report) -> None:
    work = data_dir() / "redaction"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        _run(report, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(report, work: Path) -> None:
    frames = int(SECONDS * FPS)
    clip = footage.make(
        work / "clip.mp4", width=1280, height=720, fps=FPS, seconds=SECONDS, faces=faces(frames)
    )
    detector = FaceDetector()
    release = ScanSettings()

    started = time.perf_counter()
    found = scan(source=clip.path, detector=detector, settings=release)
    scanned = time.perf_counter()
    redact(source=clip.path, destination=work / "ours.mp4", found=found, scan_settings=release)
    ours = frames / (time.perf_counter() - started) / FPS
    scan_ratio = frames / (scanned - started) / FPS
    render_ratio = frames / (time.perf_counter() - scanned) / FPS
    ours_recall = _recall(clip, found, release)
    print(
        f"# clip: 1280x720, {FPS} fps, {SECONDS:g} s, {frames} frames, {len(faces(frames))} faces", flush=True
    )
    report(
        "redaction 720p30, ours (scan + render)",
        f"{ours:.2f} x real time (scan {scan_ratio:.2f}, render {render_ratio:.2f}), "
        f"recall {ours_recall:.3f}",
        f"goal >= 1.0 x real time at recall >= 0.95; release settings {release.as_dict()}",
    )

    deface = _deface_command()
    if deface is None:
        report("redaction 720p30, deface CLI", "not run", "deface is not installed in this environment")
    else:
        for label, extra in (("defaults", []), ("--scale 640x360", ["--scale", "640x360"])):
            out = work / f"deface-{len(extra)}.mp4"
            started = time.perf_counter()
            subprocess.run(
                [
                    *deface,
                    str(clip.path),
                    "-o",
                    str(out),
                    "--execution-provider",
                    "CPUExecutionProvider",
                    *extra,
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            theirs = frames / (time.perf_counter() - started) / FPS
            if not out.exists():  # deface prints "Skipping file" and exits 0 when it cannot read a clip
                raise RuntimeError(f"deface wrote no output for {clip.path}")
            report(
                f"redaction 720p30, deface 1.5.0 CLI {label}",
                f"{theirs:.2f} x real time; ours / deface = {ours / theirs:.1f}",
                "anchor, same clip, same run (deface drops the audio unless --keep-audio)",
            )

    for width in WIDTHS:
        for step in STEPS:
            if width != release.detect_width and step != release.step:
                continue  # the grid: every width at the release step, every step at the release width
            if width is None and step == 1:
                continue  # full size on every frame takes minutes here; deface's defaults above are that
            if width == release.detect_width and step == release.step:
                report(
                    f"redaction lever width={width} every={step}",
                    f"recall {ours_recall:.3f}, scan {scan_ratio:.2f} x real time (release settings, above)",
                    "recall >= 0.95 wanted",
                )
                continue
            settings = ScanSettings(detect_width=width, step=step)
            started = time.perf_counter()
            lever = scan(source=clip.path, detector=detector, settings=settings)
            ratio = frames / (time.perf_counter() - started) / FPS
            report(
                f"redaction lever width={width or 1280} every={step}",
                f"recall {_recall(clip, lever, settings):.3f}, scan {ratio:.2f} x real time",
                "recall >= 0.95 wanted",
            )


def _recall(clip, found, settings) -> float:
    return footage.recall(
        clip, lambda i: regions_at(i, found.tracks, pad=settings.pad, width=clip.width, height=clip.height)
    )


def _deface_command() -> list[str] | None:
    try:
        import deface.deface  # noqa: F401  (its imports: imageio, imageio-ffmpeg, tqdm, skimage)
    except ImportError as exc:
        print(f"# deface CLI cannot run here: {exc}", flush=True)
        return None
    return [sys.executable, "-c", "import sys; from deface.deface import main; sys.exit(main())"]
