"""Test footage made here: an H.264 clip with real faces at known boxes on known frames, and known tones.

The face is the astronaut portrait scikit-image ships (Eileen Collins, NASA, public domain), cropped to
head and shoulders, scaled and moved across a textured background that drifts like a hand-held camera.
The ground-truth face box was drawn by hand on the 512×512 portrait: forehead to chin, cheek to cheek.
The audio is AAC-LC, 48 kHz mono: a different pure tone in each second, so any sample can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from skimage import data

CROP = (100, 0, 380, 300)  # x1, y1, x2, y2 of head and shoulders in the portrait
FACE_IN_PORTRAIT = (178, 68, 272, 186)  # the hand-drawn truth
RATE = 48_000
TONES_HZ = (440.0, 660.0, 880.0, 550.0, 770.0, 990.0)


@dataclass(frozen=True)
class Face:
    scale: float  # of the crop
    first: int
    last: int  # inclusive
    start: tuple[float, float]  # crop's top-left at `first`, as fractions of the frame
    end: tuple[float, float]  # at `last`
    mirror: bool = False


@dataclass(frozen=True)
class Footage:
    path: Path
    width: int
    height: int
    fps: int
    frames: int
    truth: list[list[tuple[float, float, float, float]]]  # per frame, the face boxes


def tone(t: np.ndarray) -> np.ndarray:
    hz = np.asarray(TONES_HZ)[(t.astype(int)) % len(TONES_HZ)]
    return 0.3 * np.sin(2 * np.pi * hz * t)


def default_faces(frames: int) -> list[Face]:
    return [
        Face(scale=0.6, first=0, last=frames - 1, start=(0.02, 0.10), end=(0.40, 0.18)),
        Face(
            scale=0.4,
            first=frames // 3,
            last=(frames * 5) // 6,
            start=(0.80, 0.55),
            end=(0.70, 0.45),
            mirror=True,
        ),
    ]


def make(
    path: Path,
    *,
    width=640,
    height=360,
    fps=30,
    seconds=3.0,
    faces: list[Face] | None = None,
    audio: str | None = "aac",
) -> Footage:
    frames = int(round(seconds * fps))
    faces = default_faces(frames) if faces is None else faces
    portrait = data.astronaut()[CROP[1] : CROP[3], CROP[0] : CROP[2]]
    fx1, fy1, fx2, fy2 = (
        FACE_IN_PORTRAIT[0] - CROP[0],
        FACE_IN_PORTRAIT[1] - CROP[1],
        FACE_IN_PORTRAIT[2] - CROP[0],
        FACE_IN_PORTRAIT[3] - CROP[1],
    )
    texture = _background(np.random.default_rng(7), width, height, (40, 200))
    truth: list[list[tuple[float, float, float, float]]] = []
    with av.open(str(path), "w") as out:
        video = _h264(out, fps, width, height)
        if audio:
            sound = out.add_stream(audio, rate=RATE)
            sound.layout = "mono"
            if audio == "aac":
                sound.bit_rate = 128_000
        for i in range(frames):
            img = _view(texture, i, width, height)
            boxes = []
            for face in faces:
                if not face.first <= i <= face.last:
                    continue
                t = (i - face.first) / max(1, face.last - face.first)
                x = int((face.start[0] + (face.end[0] - face.start[0]) * t) * width)
                y = int((face.start[1] + (face.end[1] - face.start[1]) * t) * height)
                crop = portrait[:, ::-1] if face.mirror else portrait
                w, h = int(crop.shape[1] * face.scale), int(crop.shape[0] * face.scale)
                w, h = min(w, width - x), min(h, height - y)
                small = cv2.resize(
                    crop,
                    (int(crop.shape[1] * face.scale), int(crop.shape[0] * face.scale)),
                    interpolation=cv2.INTER_AREA,
                )
                img[y : y + h, x : x + w] = small[:h, :w]
                bx1 = (crop.shape[1] - fx2 if face.mirror else fx1) * face.scale
                bx2 = (crop.shape[1] - fx1 if face.mirror else fx2) * face.scale
                boxes.append((x + bx1, y + fy1 * face.scale, x + bx2, y + fy2 * face.scale))
            truth.append(boxes)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if audio:
            total = int(seconds * RATE)
            for start in range(0, total, 1024):
                n = min(1024, total - start)
                samples = tone((start + np.arange(n)) / RATE).astype(np.float32)[np.newaxis]
                if audio != "aac":
                    samples = (samples * 32767).astype(np.int16)
                fmt = "fltp" if audio == "aac" else "s16"
                frame = av.AudioFrame.from_ndarray(samples, format=fmt, layout="mono")
                frame.sample_rate, frame.pts = RATE, start
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode(None):
                out.mux(packet)
    return Footage(path=path, width=width, height=height, fps=fps, frames=frames, truth=truth)


def _background(rng, width: int, height: int, levels: tuple[int, int]) -> np.ndarray:
    """A smooth random texture 64 px larger than the frame each way, for `_view` to drift over."""
    return cv2.resize(
        rng.integers(*levels, (height // 8 + 8, width // 8 + 8, 3), dtype=np.uint8),
        (width + 64, height + 64),
        interpolation=cv2.INTER_CUBIC,
    )


def _view(texture: np.ndarray, i: int, width: int, height: int) -> np.ndarray:
    """Frame i's view of the background: it drifts like a hand-held camera."""
    ox, oy = int(32 + 24 * np.sin(i / 20)), int(32 + 16 * np.cos(i / 27))
    return texture[oy : oy + height, ox : ox + width].copy()


def _h264(out, fps: int, width: int, height: int):
    video = out.add_stream("libx264", rate=fps)
    video.width, video.height, video.pix_fmt = width, height, "yuv420p"
    video.options = {"crf": "18", "preset": "veryfast"}
    return video


def decoded_audio(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(times in seconds from the clip's start, mono samples) as the decoder gives them, integer
    formats scaled to floats of full scale ±1 (exactly: every int16 and int32 is a float64)."""
    times, chunks = [], []
    with av.open(str(path)) as src:
        zero = (src.start_time or 0) / 1_000_000
        for frame in src.decode(audio=0):
            samples = frame.to_ndarray().reshape(len(frame.layout.channels), -1)[0]
            if samples.dtype.kind == "i":
                samples = samples / float(2 ** (8 * samples.dtype.itemsize - 1))
            start = float(frame.pts * frame.time_base) - zero
            times.append(start + np.arange(samples.size) / frame.sample_rate)
            chunks.append(samples)
    return np.concatenate(times), np.concatenate(chunks)


def coverage(box, regions, width: int, height: int) -> float:
    """The fraction of a truth box (clipped to the frame) that the regions cover."""
    x1, y1 = max(0, int(round(box[0]))), max(0, int(round(box[1])))
    x2, y2 = min(width, int(round(box[2]))), min(height, int(round(box[3])))
    if x2 <= x1 or y2 <= y1:
        return 1.0
    covered = np.zeros((y2 - y1, x2 - x1), bool)
    for rx1, ry1, rx2, ry2 in regions:
        covered[max(0, ry1 - y1) : max(0, ry2 - y1), max(0, rx1 - x1) : max(0, rx2 - x1)] = True
    return float(covered.mean())


def recall(footage: Footage, regions_for, *, min_coverage: float = 0.9) -> float:
    """Per-frame recall: of all (frame, face) pairs, the share whose box is at least 90 % masked."""
    hit = total = 0
    for i, boxes in enumerate(footage.truth):
        regions = regions_for(i)
        for box in boxes:
            total += 1
            hit += coverage(box, regions, footage.width, footage.height) >= min_coverage
    return hit / total


def pcm24(samples: np.ndarray) -> np.ndarray:
    """Decoded samples (floats, full scale ±1) as 24-bit integers: rounded to nearest, clipped."""
    return np.clip(np.rint(np.asarray(samples, np.float64) * 2**23), -(2**23), 2**23 - 1).astype(np.int32)


def check_with_ffmpeg(path: Path) -> np.ndarray:
    """Decode the first audio stream with the FFmpeg program imageio-ffmpeg ships (another build than
    PyAV's libraries); any error fails. Returns the samples as int32 (full scale ±2^31)."""
    import subprocess

    import pytest

    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    done = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-xerror", "-i", str(path)]
        + ["-map", "0:a:0", "-f", "s32le", "-ac", "1", "-"],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr.decode(errors="replace")
    return np.frombuffer(done.stdout, "<i4")


def moving_patch(
    path: Path, *, width=640, height=360, fps=30, frames=90, side=48, start=(40, 150), speed=8.0, gone=None
) -> Footage:
    """An H.264 clip (no audio) of a textured square moving right at `speed` px a frame from `start`
    (bobbing ±30 px) over a drifting background until it leaves the frame; from frame `gone` on (if
    given) it is not drawn at all. `truth[i]` is its box on frame i (empty when not in the frame)."""
    rng = np.random.default_rng(11)
    patch = cv2.resize(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8), (side, side), cv2.INTER_NEAREST)
    texture = _background(rng, width, height, (60, 180))
    truth: list[list[tuple[float, float, float, float]]] = []
    with av.open(str(path), "w") as out:
        video = _h264(out, fps, width, height)
        for i in range(frames):
            img = _view(texture, i, width, height)
            x = int(start[0] + speed * i)
            y = int(start[1] + 30 * np.sin(i / 15))
            box = (float(x), float(y), float(x + side), float(y + side))
            if x < width and (gone is None or i < gone):
                visible = img[y : y + side, x : min(width, x + side)]
                visible[:] = patch[:, : visible.shape[1]]
                truth.append([box])
            else:
                truth.append([])
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
    return Footage(path=path, width=width, height=height, fps=fps, frames=frames, truth=truth)
