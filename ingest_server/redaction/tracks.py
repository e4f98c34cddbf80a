"""Detections become tracks; tracks (accepted ones, plus the custodian's own boxes) become regions per frame.

All pure: no video, no model. A custodian decides per track, never per frame, so a track is the unit of
review: `build_tracks` links detections on the detection frames (every `step`-th frame) by overlap, and a
track covers every frame from one step before its first detection to one step after its last (a face seen
at frame 10 with step 5 may already be there at frame 6: redaction errs on the side of masking).
Between two detections the box is interpolated linearly; beyond the first or last it moves on at the
speed between the two nearest detections (a keyframe is added at each end), or is held if there is one.

A manual track is the same thing made from the custodian's keyframes: the box is interpolated between
keyframes and held from the first keyframe back to `first` and from the last forward to `last`. There is
no visual tracker behind it: what is masked is exactly what the custodian drew, which is what they review.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in frame pixels


class TrackKind(StrEnum):
    DETECTED = "detected"
    MANUAL = "manual"


@dataclass(frozen=True)
class Track:
    id: str
    kind: TrackKind
    keyframes: tuple[tuple[int, Box], ...]  # (frame index, box), frame indices strictly increasing
    first: int  # first frame masked, inclusive
    last: int  # last frame masked, inclusive
    score: float = 1.0  # best detection score (1.0 for manual)

    def box_at(self, frame: int) -> Box | None:
        if frame < self.first or frame > self.last:
            return None
        keys = self.keyframes
        if frame <= keys[0][0]:
            return keys[0][1]
        if frame >= keys[-1][0]:
            return keys[-1][1]
        i = bisect.bisect_right(keys, frame, key=lambda k: k[0])  # a long clip has thousands of keys
        (f0, b0), (f1, b1) = keys[i - 1], keys[i]
        t = (frame - f0) / (f1 - f0)
        return tuple(a + (b - a) * t for a, b in zip(b0, b1, strict=True))  # type: ignore[return-value]

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": str(self.kind),
            "first_frame": self.first,
            "last_frame": self.last,
            "score": round(self.score, 4),
            "keyframes": [{"frame": f, "box": [round(v, 1) for v in b]} for f, b in self.keyframes],
        }


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _near(a: Box, b: Box) -> float:
    """Centre distance in units of the larger box side: links a fast face whose boxes no longer overlap."""
    side = max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1], 1.0)
    dx = (a[0] + a[2] - b[0] - b[2]) / 2
    dy = (a[1] + a[3] - b[1] - b[3]) / 2
    return (dx * dx + dy * dy) ** 0.5 / side


def build_tracks(
    detections: Mapping[int, Sequence[tuple[Box, float]]],
    *,
    step: int,
    frame_count: int,
    min_iou: float = 0.1,
    max_distance: float = 0.75,
    max_missed: int = 1,
) -> list[Track]:
    """Link per-frame detections ({frame: [(box, score)]}, detection frames only) into tracks.

    Greedy association, best overlap first (centre distance as the fallback: `max_distance` box sides
    per 5 frames, so a face at a given speed is linked whatever the step); a track survives
    `max_missed` detection frames without a match before it ends.
    """
    open_tracks: list[dict] = []
    done: list[dict] = []
    for frame in sorted(detections):
        still_open = []
        for track in open_tracks:
            (done if frame - track["keys"][-1][0] > step * (max_missed + 1) else still_open).append(track)
        open_tracks = still_open
        boxes = list(detections[frame])
        pairs = []
        for ti, track in enumerate(open_tracks):
            seen, last = track["keys"][-1]
            reach_distance = max_distance * max(1.0, (frame - seen) / 5)
            for di, (box, _score) in enumerate(boxes):
                overlap = iou(last, box)
                distance = _near(last, box)
                if overlap >= min_iou or distance <= reach_distance:
                    pairs.append((overlap, -distance, ti, di))
        taken_t: set[int] = set()
        taken_d: set[int] = set()
        for _overlap, _distance, ti, di in sorted(pairs, reverse=True):
            if ti in taken_t or di in taken_d:
                continue
            taken_t.add(ti)
            taken_d.add(di)
            box, score = boxes[di]
            open_tracks[ti]["keys"].append((frame, box))
            open_tracks[ti]["score"] = max(open_tracks[ti]["score"], score)
        for di, (box, score) in enumerate(boxes):
            if di not in taken_d:
                open_tracks.append({"keys": [(frame, box)], "score": score})
    done.extend(open_tracks)
    done.sort(key=lambda t: (t["keys"][0][0], t["keys"][0][1][0]))
    reach = max(step - 1, 0)
    tracks = []
    for n, t in enumerate(done):
        keys = [(f, tuple(float(v) for v in b)) for f, b in t["keys"]]
        first = max(0, keys[0][0] - reach)
        last = min(frame_count - 1, keys[-1][0] + reach)
        if len(keys) > 1:  # the face goes on moving beyond its first and last detections
            keys = [(first, _extrapolate(keys[1], keys[0], first)), *keys] if first < keys[0][0] else keys
            keys = [*keys, (last, _extrapolate(keys[-2], keys[-1], last))] if last > keys[-1][0] else keys
        tracks.append(
            Track(
                id=f"t{n + 1}",
                kind=TrackKind.DETECTED,
                keyframes=tuple(keys),  # type: ignore[arg-type]
                first=first,
                last=last,
                score=float(t["score"]),
            )
        )
    return tracks


def _extrapolate(a: tuple[int, Box], b: tuple[int, Box], frame: int) -> Box:
    """The box at `frame` moving on from `a` through `b` at their speed (frames may lie either side)."""
    (fa, ba), (fb, bb) = a, b
    t = (frame - fb) / (fb - fa)
    return tuple(y + (y - x) * t for x, y in zip(ba, bb, strict=True))  # type: ignore[return-value]


def manual_track(
    track_id: str, keyframes: Iterable[tuple[int, Box]], *, first: int | None = None, last: int | None = None
) -> Track:
    """A custodian's box: interpolated between their keyframes, held out to `first` and `last`."""
    keys = tuple(sorted((int(f), tuple(float(v) for v in b)) for f, b in keyframes))
    if not keys:
        raise ValueError("a manual box needs at least one keyframe")
    if len({f for f, _ in keys}) != len(keys):
        raise ValueError("a manual box has two keyframes on one frame")
    for f, b in keys:
        if f < 0 or b[2] <= b[0] or b[3] <= b[1]:
            raise ValueError(f"manual keyframe at frame {f} has an empty or negative box {b}")
    start = keys[0][0] if first is None else first
    end = keys[-1][0] if last is None else last
    if start > keys[0][0] or end < keys[-1][0]:
        raise ValueError("a manual box's span must include all its keyframes")
    return Track(id=track_id, kind=TrackKind.MANUAL, keyframes=keys, first=start, last=end)  # type: ignore[arg-type]


def padded(box: Box, *, pad: float, width: int, height: int) -> tuple[int, int, int, int]:
    """The box grown about its centre by `pad` (1.3 = 30 % larger each way), clipped, in whole pixels."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    hw, hh = (box[2] - box[0]) * pad / 2, (box[3] - box[1]) * pad / 2
    x1, y1 = max(0, int(cx - hw)), max(0, int(cy - hh))
    x2, y2 = min(width, int(cx + hw + 0.999)), min(height, int(cy + hh + 0.999))
    return x1, y1, x2, y2


def regions_at(
    frame: int,
    tracks: Iterable[Track],
    *,
    rejected: frozenset[str] = frozenset(),
    pad: float,
    width: int,
    height: int,
) -> list[tuple[int, int, int, int]]:
    """The pixel rectangles to mask on one frame: every track not rejected that covers it.

    Detected boxes grow by `pad`; manual boxes are masked as drawn."""
    out = []
    for track in tracks:
        if track.id in rejected:
            continue
        box = track.box_at(frame)
        if box is None:
            continue
        grow = pad if track.kind is TrackKind.DETECTED else 1.0  # a custodian's box is what they drew
        x1, y1, x2, y2 = padded(box, pad=grow, width=width, height=height)
        if x2 > x1 and y2 > y1:
            out.append((x1, y1, x2, y2))
    return out
