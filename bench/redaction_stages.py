"""Where the redaction's time goes, stage by stage, on the bench's clip (used by bench/redaction.py).

Each stage runs alone over the same frames and is timed in wall seconds and in CPU seconds of this
process (all its threads: `time.process_time`). On a shared machine the wall figure moves with the
others' load; the CPU figure much less, so it also gives the ceiling on two idle cores:
2 cores × clip seconds ÷ CPU seconds (the most a perfectly overlapped pipeline could reach).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ingest_server.redaction.detect import FaceDetector, input_shape
from ingest_server.redaction.masking import mask_frame
from ingest_server.redaction.render import RenderSettings, render
from ingest_server.redaction.tracks import build_tracks, regions_at

CORES = 2
PROFILE_FRAMES = 150  # decoded frames held in memory for the masking and encoding stages (~200 MB at 720p)


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def measure(fn: Callable[[], object]) -> tuple[object, Timing]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, Timing(time.perf_counter() - wall, time.process_time() - cpu)


def ceiling(cpu_seconds: float, clip_seconds: float) -> float:
    """The ratio to real time two idle cores could reach for this much CPU work."""
    return CORES * clip_seconds / cpu_seconds if cpu_seconds else float("inf")


def decode_frames(path: Path, *, thread_type: str = "AUTO", limit: int | None = None) -> list:
    with av.open(str(path)) as src:
        stream = src.streams.video[0]
        stream.thread_type = thread_type
        out = []
        for frame in src.decode(stream):
            out.append(frame)
            if limit is not None and len(out) >= limit:
                break
        return out


def profile(report, clip, detector: FaceDetector, found, scan_settings, fps: int) -> None:
    """One line per stage: ms per frame (wall and CPU) and what that stage alone would allow."""

    def line(stage: str, timing: Timing, frames: int, note: str) -> None:
        wall_ms, cpu_ms = 1000 * timing.wall / frames, 1000 * timing.cpu / frames
        alone = ceiling(timing.cpu, frames / fps)
        report(
            f"redaction stage {stage}",
            f"{wall_ms:.1f} ms/frame wall, {cpu_ms:.1f} ms/frame CPU (alone: {alone:.1f} x real time on "
            f"{CORES} idle cores)",
            note,
        )

    for kind in ("NONE", "AUTO"):
        frames, t = measure(lambda kind=kind: decode_frames(clip.path, thread_type=kind))
        line(f"decode (PyAV thread_type {kind})", t, len(frames), "H.264 must decode every frame")
    held = decode_frames(clip.path, limit=PROFILE_FRAMES)
    in_w, in_h = input_shape(clip.width, clip.height, detect_width=scan_settings.detect_width)
    rgbs, t = measure(lambda: [f.to_ndarray(format="rgb24", width=in_w, height=in_h) for f in held])
    line(f"convert to the model's RGB {in_w}x{in_h}", t, len(held), "each detected frame only")
    sample = rgbs[:5]
    _, t = measure(lambda: [detector.detect(x, threshold=scan_settings.threshold) for x in sample])
    per = Timing(t.wall / len(sample), t.cpu / len(sample))
    report(
        f"redaction stage detect {in_w}x{in_h} (one onnxruntime thread)",
        f"{1000 * per.wall:.0f} ms wall, {1000 * per.cpu:.0f} ms CPU per detection; every "
        f"{scan_settings.step}th frame: {1000 * per.cpu / scan_settings.step:.1f} ms/frame CPU "
        f"(alone: {ceiling(per.cpu / scan_settings.step, 1 / fps):.2f} x real time on {CORES} idle cores)",
        "the scan's cost",
    )
    _, t = measure(lambda: build_tracks(found.detections, step=scan_settings.step, frame_count=found.frames))
    line("tracking (link detections)", t, found.frames, "pure Python, once per scan")
    regions = [
        regions_at(i, found.tracks, pad=scan_settings.pad, width=clip.width, height=clip.height)
        for i in range(len(held))
    ]
    settings = RenderSettings()
    _, t = measure(lambda: [mask_frame(f, r, settings) for f, r in zip(held, regions, strict=True) if r])
    masked = sum(1 for r in regions if r) or 1
    line(f"mask ({settings.style}, YUV planes)", t, masked, f"frames with a region: {masked} of {len(held)}")
    for preset in ("veryfast", "superfast", "ultrafast"):
        _, t = measure(lambda preset=preset: _encode(held, clip.width, clip.height, fps, preset))
        line(f"encode libx264 {preset}", t, len(held), "the render's cost")


def _encode(frames, width: int, height: int, fps: int, preset: str) -> None:
    import io

    with av.open(io.BytesIO(), "w", format="mp4") as dst:
        out = dst.add_stream("libx264", rate=fps)
        out.width, out.height, out.pix_fmt = width, height, "yuv420p"
        out.options = {"crf": str(RenderSettings().crf), "preset": preset}
        out.thread_type = "AUTO"
        for frame in frames:
            frame.pict_type = av.video.frame.PictureType.NONE
            for packet in out.encode(frame):
                dst.mux(packet)
        for packet in out.encode(None):
            dst.mux(packet)


def preset_quality(source: Path, work: Path, preset: str) -> tuple[Timing, int, float]:
    """Render with no region at `preset`: (time, bytes, PSNR of the luma against the source's)."""
    out = work / f"plain-{preset}.mp4"
    out.unlink(missing_ok=True)
    result, t = measure(
        lambda: render(
            source=source, destination=out, regions=lambda i: [], settings=RenderSettings(preset=preset)
        )
    )
    errors = []
    for a, b in zip(decode_frames(source), decode_frames(out), strict=True):
        ya, yb = (
            a.to_ndarray(format="gray").astype(np.float64),
            b.to_ndarray(format="gray").astype(np.float64),
        )
        errors.append(np.mean((ya - yb) ** 2))
    mse = float(np.mean(errors))
    psnr = 10 * np.log10(255**2 / mse) if mse else float("inf")
    out.unlink()
    return t, result.size, psnr  # type: ignore[attr-defined]
