"""Decode a clip's audio into mono float32 at a chosen rate, for alignment.

PyAV demuxes only the first audio stream (video packets are skipped, never
decoded) and libswresample (through `av.AudioResampler`) downmixes and
resamples frame by frame, so memory is the output only: 4 bytes per sample at
the target rate (10 minutes at 8 kHz: 19 MB; twice that while the pieces are
joined at the end), whatever the source rate.

Sample 0 of the result is the clip's media time `start_s` (the first decoded
frame's presentation time; the decoder has already dropped the encoder's priming
samples that an MP4 edit list marks). A jump in presentation times (a dropped or
missing stretch of audio) is filled with silence of the same length so that the
samples after it keep their times; each gap is reported. Packets the decoder
cannot read are counted and skipped, never fatal: a damaged clip is still
evidence and its readable audio can still be aligned.

The file is only read; nothing is written anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

GAP_TOLERANCE_S = 0.010  # timestamp jitter below this is not a gap


class AudioDecodeError(Exception):
    """The file cannot be read as audio; the message is one line fit for a user."""


@dataclass(frozen=True)
class DecodedAudio:
    samples: np.ndarray  # float32, mono
    rate: int
    start_s: float  # media time of samples[0]
    source_rate: int
    source_channels: int
    codec: str
    gaps: list[tuple[float, float]] = field(default_factory=list)  # (media time, seconds of silence inserted)
    bad_packets: int = 0

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


def _to_mono(frames) -> list[np.ndarray]:
    return [f.to_ndarray().reshape(-1).astype(np.float32, copy=False) for f in frames]


def decode_audio(path: Path | str, *, rate: int, max_seconds: float = 6 * 3600) -> DecodedAudio:
    """Decode the first audio stream of `path` (see the module docstring).

    Raises AudioDecodeError for a file that is not media, has no audio stream, or
    whose audio is longer than `max_seconds` (memory is bounded by it).
    """
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise AudioDecodeError(f"{Path(path).name}: cannot be opened as media ({exc})") from None
    with container:
        if not container.streams.audio:
            raise AudioDecodeError(f"{Path(path).name}: has no audio track, so it cannot be aligned by sound")
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        seconds_per_tick = float(stream.time_base)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        chunks: list[np.ndarray] = []
        produced = 0  # output samples so far
        start_s = None
        gaps: list[tuple[float, float]] = []
        bad = 0
        limit = int(max_seconds * rate)
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                bad += 1
                continue
            for frame in frames:
                if frame.pts is not None:
                    when = (
                        frame.pts * seconds_per_tick
                    )  # a float: Fractions per frame cost more than decoding
                    if start_s is None:
                        start_s = when
                    expected = start_s + produced / rate
                    if when - expected > GAP_TOLERANCE_S:
                        # Flush what the resampler holds first, so the silence lands in the right place.
                        for out in _to_mono(resampler.resample(None)):
                            chunks.append(out)
                            produced += len(out)
                        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
                        expected = start_s + produced / rate
                        missing = int(round((when - expected) * rate))
                        if missing > 0:
                            gaps.append((expected, missing / rate))
                            chunks.append(np.zeros(missing, np.float32))
                            produced += missing
                for out in _to_mono(resampler.resample(frame)):
                    chunks.append(out)
                    produced += len(out)
                if produced > limit:
                    raise AudioDecodeError(
                        f"{Path(path).name}: audio longer than {max_seconds:g} s; not aligned (memory bound)"
                    )
        for out in _to_mono(resampler.resample(None)):
            chunks.append(out)
            produced += len(out)
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        return DecodedAudio(
            samples=samples,
            rate=rate,
            start_s=start_s or 0.0,
            source_rate=ctx.sample_rate,
            source_channels=ctx.channels,
            codec=ctx.name,
            gaps=gaps,
            bad_packets=bad,
        )
