"""A custodian's box on one frame, followed forward and backward through the clip: a manual track.

The custodian draws a box around something the detector does not know (a tattoo, a name badge, a
face it missed) on one frame. `follow` finds that patch again on every following frame and every
earlier one, by normalised cross-correlation (`cv2.matchTemplate`, TM_CCOEFF_NORMED) within half a
box side of where it should be (last place + last speed), the template renewed from each match so it
keeps up with slow changes of look. It stops when the best match scores under `min_score` (lost:
hidden, changed, or too fast); a patch going out of the frame is matched by its part still inside,
and when too little is left the box moves on at its last speed until it has left, so what is
leaving stays masked. No model, nothing downloaded; the opencv-python-headless
build here also ships `TrackerMIL`, which was not used: it reports no score to say "lost".

Frames are matched in grey at `work_width` pixels across at most. The frames before the drawn one
are held (in grey, at that width) for the backward pass, at most `max_frames` of them, so memory is
bounded: about 58 kB a frame at 320 px, 900 frames (30 s at 30 fps) ≈ 52 MB.

The result is a `Track` of kind MANUAL with one keyframe a frame; the custodian accepts or rejects it
as a whole like a detected one, and it is masked as drawn (no padding).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np

from .pipeline import expected_frames
from .render import RenderError
from .tracks import Box, Track, TrackKind

MIN_SCORE = 0.5  # under this the patch is lost
METHOD = {  # how a followed box was found on each frame, for the provenance record
    "method": "template matching (OpenCV matchTemplate, TM_CCOEFF_NORMED), forward and backward",
    "min_score": MIN_SCORE,
}


def follow(
    *,
    source: Path,
    frame: int,
    box: Box,
    track_id: str,
    min_score: float = MIN_SCORE,
    max_frames: int = 900,
    work_width: int = 320,
    progress: Callable[[int], None] | None = None,
) -> Track:
    """The box drawn on `frame`, followed through `source` (opened read-only) both ways;
    `progress(frames decoded)` after each decoded frame, if given."""
    if frame < 0 or box[2] <= box[0] or box[3] <= box[1]:
        raise ValueError(f"a box to follow needs frame >= 0 and x1 < x2, y1 < y2; got {frame}, {box}")
    try:
        with open(source, "rb") as original, av.open(original, "r") as src:
            if not src.streams.video:
                raise RenderError(f"{Path(source).name} has no video stream")
            stream = src.streams.video[0]
            stream.thread_type = "AUTO"
            width, height = stream.codec_context.width, stream.codec_context.height
            end = expected_frames(src, stream) - 1  # the last frame a box may move on to
            scale = min(1.0, work_width / width)
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            before: deque[np.ndarray] = deque(maxlen=max_frames)
            forward: list[tuple[int, Box]] = []
            tracker: _Matcher | None = None
            for index, decoded in enumerate(src.decode(stream)):
                grey = decoded.to_ndarray(format="gray", width=size[0], height=size[1])
                if progress is not None:
                    progress(index + 1)
                if index < frame:
                    before.append(grey)
                    continue
                if tracker is None:
                    tracker = _Matcher(grey, tuple(v * scale for v in box), min_score)  # type: ignore[arg-type]
                    forward.append((index, box))
                    continue
                found = tracker.step(grey)
                if found is None:
                    break
                forward.append((index, tuple(v / scale for v in found)))  # type: ignore[arg-type]
                end = max(end, index)
                if index - frame >= max_frames:
                    break
    except av.error.FFmpegError as exc:
        raise RenderError(f"{Path(source).name} cannot be read as video: {exc}") from exc
    if tracker is None:
        raise ValueError(f"frame {frame} is past the clip's end")
    backward: list[tuple[int, Box]] = []
    back = _Matcher(tracker.first, tuple(v * scale for v in box), min_score)  # type: ignore[arg-type]
    for offset, grey in enumerate(reversed(before), start=1):
        found = back.step(grey)
        if found is None:
            break
        backward.append((frame - offset, tuple(v / scale for v in found)))  # type: ignore[arg-type]
    keys = sorted(backward) + forward
    keys = _leave(keys, width, height, step=1, limit=end) if tracker.lost_at_edge else keys
    keys = _leave(keys[::-1], width, height, step=-1, limit=0)[::-1] if back.lost_at_edge else keys
    return Track(
        id=track_id,
        kind=TrackKind.MANUAL,
        keyframes=tuple(keys),
        first=keys[0][0],
        last=keys[-1][0],
    )


class _Matcher:
    """Template matching from one frame to the next (grey images at the working size).

    The box may go partly out of the frame: then only the template's part that is still inside is
    matched, where the box is expected (last position + last speed). A match farther than half a
    box side from there is a jump to something else, so it counts as lost, like a low score."""

    def __init__(self, grey: np.ndarray, box: Box, min_score: float) -> None:
        self.first = grey
        self.min_score = min_score
        h, w = grey.shape
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cx1, cy1, cx2, cy2 = max(0, x1), max(0, y1), min(w, x2), min(h, y2)
        self.template = grey[cy1:cy2, cx1:cx2].copy()  # the part drawn inside the frame
        self.x, self.y = cx1, cy1  # the template's top-left (may leave the frame later)
        self.box = box  # as drawn, at the working size
        self.velocity = (0, 0)
        self.lost_at_edge = False

    def step(self, grey: np.ndarray) -> Box | None:
        h, w = grey.shape
        th, tw = self.template.shape
        px, py = self.x + self.velocity[0], self.y + self.velocity[1]  # where it should be
        cut = (max(0, -px), max(0, -py), max(0, px + tw - w), max(0, py + th - h))  # left, top, right, bottom
        part = self.template[cut[1] : th - cut[3], cut[0] : tw - cut[2]]
        if part.shape[0] < 4 or part.shape[1] < 4:
            return self._lost(edge=True)
        reach = max(tw, th) // 2 + 2
        vx1, vy1 = px + cut[0], py + cut[1]  # the visible part's expected top-left
        sx1, sy1 = max(0, vx1 - reach), max(0, vy1 - reach)
        sx2, sy2 = min(w, vx1 + part.shape[1] + reach), min(h, vy1 + part.shape[0] + reach)
        window = grey[sy1:sy2, sx1:sx2]
        if window.shape[0] < part.shape[0] or window.shape[1] < part.shape[1]:
            return self._lost(edge=any(cut))
        scores = cv2.matchTemplate(window, part, cv2.TM_CCOEFF_NORMED)
        _, best, _, (bx, by) = cv2.minMaxLoc(scores)
        if best < self.min_score:
            return self._lost(edge=any(cut))
        nx, ny = sx1 + bx - cut[0], sy1 + by - cut[1]
        dx, dy = nx - self.x, ny - self.y
        self.velocity = (dx, dy)
        self.x, self.y = nx, ny
        if not any(cut):  # renewed only while wholly inside: it keeps up with slow changes of look
            self.template = grey[ny : ny + th, nx : nx + tw].copy()
        b = self.box
        self.box = (b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy)
        return self.box

    def _lost(self, *, edge: bool) -> None:
        self.lost_at_edge = edge
        return None


def _leave(keys: list[tuple[int, Box]], width: int, height: int, *, step: int, limit: int) -> list:
    """Keys moved on (frame += step) at the speed of the last two until the box is out of the frame
    or the clip ends (`limit`, the last frame that way)."""
    if len(keys) < 2:
        return keys
    (f0, a), (f1, b) = keys[-2], keys[-1]
    v = [(y - x) / (f1 - f0) * step for x, y in zip(a, b, strict=True)]
    if not any(abs(c) > 0.1 for c in v):
        return keys
    out = list(keys)
    frame, box = f1, b
    for _ in range(10 * (width + height)):  # bounded: any speed above leaves within this
        if box[2] <= 0 or box[0] >= width or box[3] <= 0 or box[1] >= height or frame == limit:
            break
        frame += step
        box = tuple(c + d for c, d in zip(box, v, strict=True))  # type: ignore[assignment]
        out.append((frame, box))
    return out
