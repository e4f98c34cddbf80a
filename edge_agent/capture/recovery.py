"""After a crash: turn segment files left open into kept, hashed, partial segments.

A recorder killed mid-segment (SIGKILL, power cut) leaves `<name>.mp4.recording`.
Its fragments up to the last complete one are playable (fragmented MP4 written
front to back). `recover_partial_segments` hashes each such file with
`hashing.hash_file`, decodes it with PyAV as far as it goes (to say how many
frames and seconds it holds), renames it to its final name and returns it as a
partial `Segment`. Nothing is ever deleted or rewritten: a file that does not
decode at all is still kept and returned, with the reason saying so.

Run it before starting a recorder on the folder (never while one is writing
there).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av

from edge_agent.capture.segment import RECORDING_SUFFIX, Segment, finalize, parse_started_at
from hashing import fsync_dir, hash_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Playable:
    frames: int
    seconds: float  # from the first decoded video frame to the end of the last
    error: str | None  # why decoding stopped early, None if it reached the end cleanly


def decode_check(path: Path) -> Playable:
    """Decode every video frame PyAV can get from `path`; never raises for bad media."""
    frames, first, last, step = 0, None, None, 0.0
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return Playable(0, 0.0, "no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            step = 1 / float(rate) if rate else 0.0
            for frame in container.decode(stream):
                frames += 1
                if frame.time is not None:
                    first = frame.time if first is None else first
                    last = frame.time
    except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
        # IndexError: PyAV's answer to a file cut inside its header.
        return Playable(frames, _span(first, last, step), f"{type(exc).__name__}: {exc}")
    return Playable(frames, _span(first, last, step), None)


def _span(first: float | None, last: float | None, step: float) -> float:
    return 0.0 if first is None else last - first + step


def recover_partial_segments(out_dir: Path) -> list[Segment]:
    """Keep every `.recording` file in `out_dir` as a final, hashed, partial segment."""
    out_dir = Path(out_dir)
    recovered = []
    for recording in sorted(out_dir.glob("*" + RECORDING_SUFFIX)):
        if not recording.is_file() or recording.is_symlink():
            log.warning("not recovering %s: not a regular file", recording)
            continue
        digest = hash_file(recording)
        playable = decode_check(recording)
        started_at = parse_started_at(recording.name) or datetime.fromtimestamp(
            recording.stat().st_mtime, UTC
        )
        final = finalize(recording)
        fsync_dir(out_dir)
        if playable.frames:
            reason = f"recovered after a crash: {playable.frames} frames ({playable.seconds:.1f} s) decodable"
        else:
            reason = "recovered after a crash: no decodable frames (kept as written)"
        if playable.error:
            reason += f"; decoding stopped at: {playable.error}"
        log.warning("recovered segment %s: %s", final, reason)
        recovered.append(
            Segment(
                path=final,
                digest=digest,
                started_at=started_at,
                ended_at=started_at + timedelta(seconds=playable.seconds),
                partial=True,
                frames=playable.frames,
                reason=reason,
            )
        )
    return recovered
