"""Redaction of a 720p30 H.264 clip: our pipeline as a ratio to real time, beside deface's own CLI.

The clip (10 s, generated: three real faces of different sizes moving, AAC audio) is made here. Ours is
the whole job at the release settings: scan (decode, detect every k-th frame at reduced size, track)
then render (decode, mask, encode H.264, audio copied). deface's CLI runs on the same clip in the same
run at its defaults (full-size detection on every frame, blur), with the CPU provider named as ours is,
and again at `--scale 640x360`. Then the recall each lever costs: detection width and every k-th frame.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import redaction_stages as stages
from bench.common import data_dir
from ingest_server.redaction.detect import FaceDetector
from ingest_server.redaction.pipeline import ScanSettings, redact, scan
from ingest_server.redaction.render import RenderSettings
from ingest_server.redaction.tracks import regions_at
from tests.ingest_server.redaction import footage

FPS = 30
SECONDS = float(os.environ.get("REDACTION_BENCH_SECONDS", "10"))  # shorter when the machine is crowded
WIDTHS = (None, 960, 640, 480, 320)
STEPS = (1, 5, 10, 15)
REPEAT = int(os.environ.get("REDACTION_BENCH_REPEAT", "3"))  # ours at the release settings, for the spread
PRESETS = ("veryfast", "superfast", "ultrafast")


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
    print(
        f"# clip: 1280x720, {FPS} fps, {SECONDS:g} s, {frames} frames, {len(faces(frames))} faces; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )

    runs = []
    for n in range(REPEAT):
        found, t_scan = stages.measure(lambda: scan(source=clip.path, detector=detector, settings=release))
        out = work / f"ours-{n}.mp4"
        _, t_render = stages.measure(
            lambda out=out, found=found: redact(
                source=clip.path, destination=out, found=found, scan_settings=release
            )
        )
        out.unlink()
        runs.append((t_scan, t_render))
    ratios = sorted(frames / (s.wall + r.wall) / FPS for s, r in runs)
    cpu = statistics.median(s.cpu + r.cpu for s, r in runs)
    scan_cpu = statistics.median(s.cpu for s, _ in runs)
    ours = statistics.median(ratios)
    ours_recall = _recall(clip, found, release)
    report(
        "redaction 720p30, ours (scan + render)",
        f"{ours:.2f} x real time (median of {REPEAT}: {', '.join(f'{r:.2f}' for r in ratios)}; scan "
        f"{statistics.median(frames / s.wall / FPS for s, _ in runs):.2f}, render "
        f"{statistics.median(frames / r.wall / FPS for _, r in runs):.2f}), recall {ours_recall:.3f}; "
        f"CPU {cpu:.1f} s for {SECONDS:g} s (scan {scan_cpu:.1f}, render {cpu - scan_cpu:.1f}): "
        f"ceiling {stages.ceiling(cpu, SECONDS):.2f} x on {stages.CORES} idle cores",
        f"goal >= 1.0 x real time at recall >= 0.95; release settings {release.as_dict()}, "
        f"preset {RenderSettings().preset}",
    )

    stages.profile(report, clip, detector, found, release, FPS)
    _deface(report, clip, work, frames, ours)

    for width in WIDTHS:
        for step in STEPS:
            if width != release.detect_width and step != release.step:
                continue  # the grid: every width at the release step, every step at the release width
            if width is None and step == 1:
                continue  # full size on every frame takes minutes here; deface's defaults above are that
            settings = ScanSettings(detect_width=width, step=step)
            lever, t = stages.measure(
                lambda s=settings: scan(source=clip.path, detector=detector, settings=s)
            )
            mark = " (release settings)" if settings == release else ""
            report(
                f"redaction lever width={width or 1280} every={step}{mark}",
                f"recall {_recall(clip, lever, settings):.3f}, scan {frames / t.wall / FPS:.2f} x real time, "
                f"CPU {t.cpu:.1f} s (scan ceiling {stages.ceiling(t.cpu, SECONDS):.2f} x)",
                "recall >= 0.95 wanted",
            )

    for label, threads, workers in (("1 thread x 2 at once", 1, 2), ("2 threads x 1", 2, 1), ("1 x 3", 1, 3)):
        session = detector if threads == 1 else FaceDetector(threads=threads)
        _, t = stages.measure(
            lambda s=session, w=workers: scan(source=clip.path, detector=s, settings=release, workers=w)
        )
        report(
            f"redaction lever onnxruntime {label}",
            f"scan {frames / t.wall / FPS:.2f} x real time, CPU {t.cpu:.1f} s",
            "release: one intra-op thread per session run, two runs at once beside the decoder",
        )

    for preset in PRESETS:
        t, size, psnr = stages.preset_quality(clip.path, work, preset)
        report(
            f"redaction lever libx264 preset={preset} crf={RenderSettings().crf}",
            f"render {frames / t.wall / FPS:.2f} x real time, CPU {t.cpu:.1f} s, {size / 1e6:.1f} MB, "
            f"luma PSNR {psnr:.1f} dB against the source",
            f"no region masked; release preset {RenderSettings().preset}",
        )


def _deface(report, clip, work: Path, frames: int, ours: float) -> None:
    deface = _deface_command()
    if deface is None:
        report("redaction 720p30, deface CLI", "not run", "deface is not installed in this environment")
        return
    for label, extra in (("defaults", []), ("--scale 640x360", ["--scale", "640x360"])):
        out = work / f"deface-{len(extra)}.mp4"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [*deface, str(clip.path), "-o", str(out), "--execution-provider", "CPUExecutionProvider", *extra],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        theirs = frames / (time.perf_counter() - started) / FPS
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if not out.exists():  # deface prints "Skipping file" and exits 0 when it cannot read a clip
            raise RuntimeError(f"deface wrote no output for {clip.path}")
        report(
            f"redaction 720p30, deface 1.5.0 CLI {label}",
            f"{theirs:.2f} x real time; ours / deface = {ours / theirs:.1f}; CPU {cpu:.1f} s "
            f"(ceiling {stages.ceiling(cpu, SECONDS):.2f} x)",
            "anchor, same clip, same run (deface drops the audio unless --keep-audio)",
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
