"""Render a redacted derived copy: decode with PyAV, mask regions per frame, encode H.264, keep the audio.

Promises:
- The original is opened read-only (`open(path, "rb")` handed to PyAV), never written, renamed or locked.
- The derived file appears at its destination complete or not at all, and never over an existing file
  (`atomic.new_file`): a process killed at any point leaves nothing behind.
- Audio survives. Without masked ranges its packets are copied unchanged (`_CopiedAudio`). With masked
  ranges (`_LosslessAudio`) the original's audio is decoded, the samples inside each range are replaced
  by exact silence or by the tone 0.25·sin(2π·f·t) (t in seconds from the clip's start), and the whole
  track is encoded losslessly as FLAC in the MP4: decoded, every sample outside a range is the
  original's decoded sample, and every sample inside is zero or the tone, to the sample. A lossy
  re-encode or an AAC splice cannot promise that (AAC frames overlap, so ~20-40 ms at each edge of a
  range would change). FLAC holds integers: 16-bit sources stay bit for bit; float decodes (AAC, Opus,
  MP3) are rounded to 24 bits (within half a 24-bit step, 2^-24 of full scale, clipped at full scale
  as any player's output is). Any decodable audio codec can be masked this way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import av
import numpy as np

from .atomic import DestinationExists, new_file
from .masking import Region, Style, mask_frame


class AudioMask(StrEnum):
    MUTE = "mute"
    TONE = "tone"


@dataclass(frozen=True)
class TimeRange:
    """Seconds from the clip's start, start inclusive, end exclusive."""

    start: float
    end: float

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end):
            raise ValueError(f"a masked time range needs 0 <= start < end, got {self.start}..{self.end}")

    def as_dict(self) -> dict:
        return {"start_s": self.start, "end_s": self.end}


_X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)


@dataclass(frozen=True)
class RenderSettings:
    style: Style = Style.BLUR
    block: int = 8  # pixelate: cells across the region's longer side; blur: the same coarseness
    fill_rgb: tuple[int, int, int] = (0, 0, 0)
    crf: int = 20
    preset: str = "veryfast"
    audio_mask: AudioMask = AudioMask.MUTE
    tone_hz: float = 1000.0

    def __post_init__(self) -> None:
        if not 1 <= self.block <= 256:
            raise ValueError(f"block must be 1..256 cells, got {self.block}")
        if len(self.fill_rgb) != 3 or not all(0 <= c <= 255 for c in self.fill_rgb):
            raise ValueError(f"fill_rgb must be three values 0..255, got {self.fill_rgb}")
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be 0..51 (libx264), got {self.crf}")
        if self.preset not in _X264_PRESETS:
            raise ValueError(f"preset must be one of {', '.join(_X264_PRESETS)}, got {self.preset!r}")
        if not 20 <= self.tone_hz <= 8000:
            raise ValueError(f"tone_hz must be 20..8000 Hz, got {self.tone_hz}")

    def as_dict(self) -> dict:
        return {
            "style": str(self.style),
            "block": self.block,
            "fill_rgb": list(self.fill_rgb),
            "video_codec": "libx264",
            "crf": self.crf,
            "preset": self.preset,
            "audio_mask": str(self.audio_mask),
            "tone_hz": self.tone_hz,
        }


@dataclass(frozen=True)
class RenderResult:
    path: Path
    sha256: str
    size: int
    frames: int
    frames_masked: int
    audio: str  # "none", "copied" (packets as they were) or "lossless" (decoded, masked, FLAC)
    audio_codec: str  # the copy's audio: "", "aac (packets copied)", "flac 24-bit", ...
    audio_samples_masked: int  # per channel: samples set to silence or the tone
    dropped_streams: tuple[str, ...] = ()  # "index:type:codec" of streams not carried (data, GPS, 2nd audio)
    audio_samples_clipped: int = 0  # float samples beyond full scale, clipped to it (lossless only)
    audio_gap_samples: int = 0  # samples of silence put where the original's audio had a gap


class RenderError(Exception):
    """A clip this renderer refuses, with the reason in words."""


def overlaps(start: float, end: float, ranges: Sequence[TimeRange]) -> bool:
    return any(start < r.end and r.start < end for r in ranges)


def render(
    *,
    source: Path,
    destination: Path,
    regions: Callable[[int], list[Region]],
    audio_ranges: Sequence[TimeRange] = (),
    settings: RenderSettings = RenderSettings(),
    progress: Callable[[int], None] | None = None,
) -> RenderResult:
    """Write the redacted copy of `source` to `destination` (which must not exist)."""
    destination = Path(destination)
    try:
        with open(source, "rb") as original, new_file(destination) as (out_file, written):
            frames, masked, audio, dropped = _transcode(
                original, out_file, regions, audio_ranges, settings, progress
            )
    except DestinationExists as exc:
        raise RenderError(str(exc)) from exc
    except av.error.FFmpegError as exc:
        raise RenderError(f"{Path(source).name} cannot be read as video: {exc}") from exc
    sha256, size = written.sha256, written.size
    return RenderResult(
        path=destination,
        sha256=sha256,
        size=size,
        frames=frames,
        frames_masked=masked,
        audio=audio.mode,
        audio_codec=audio.codec,
        audio_samples_masked=audio.masked,
        dropped_streams=dropped,
        audio_samples_clipped=audio.clipped,
        audio_gap_samples=audio.gaps,
    )


def _transcode(original, out_file, regions, audio_ranges, settings, progress):
    with av.open(original, "r") as src, av.open(out_file, "w", format="mp4") as dst:
        if not src.streams.video:
            raise RenderError("the clip has no video stream")
        in_v = src.streams.video[0]
        in_v.thread_type = "AUTO"
        out_v = dst.add_stream("libx264", rate=in_v.average_rate or 30)
        out_v.width, out_v.height = in_v.codec_context.width, in_v.codec_context.height
        out_v.pix_fmt = "yuv420p"
        out_v.time_base = in_v.time_base
        out_v.options = {"crf": str(settings.crf), "preset": settings.preset}
        out_v.thread_type = "AUTO"

        in_a = src.streams.audio[0] if src.streams.audio else None
        zero = (src.start_time or 0) / 1_000_000  # the clip's own zero, in seconds
        sound = _audio_path(in_a, dst, audio_ranges, settings, zero)

        frames = masked = 0
        streams = [in_v] + ([in_a] if in_a is not None else [])
        for packet in src.demux(*streams):
            if packet.stream is in_v:
                for frame in packet.decode():
                    frames, masked = _video_frame(frame, frames, masked, regions, settings, out_v, dst)
                    if progress is not None:
                        progress(frames)
                continue
            sound.packet(packet)
        facts = sound.finish()
        for out in out_v.encode(None):  # flush the encoder
            dst.mux(out)
        kept = {in_v.index} | ({in_a.index} if in_a is not None else set())
        dropped = tuple(
            f"{st.index}:{st.type}:{getattr(st.codec_context, 'name', None) or '?'}"
            for st in src.streams
            if st.index not in kept
        )
    return frames, masked, facts, dropped


def _video_frame(frame, frames, masked, regions, settings, out_v, dst):
    boxes = regions(frames)
    if boxes:
        frame = mask_frame(frame, boxes, settings)
        masked += 1
    frame.pict_type = av.video.frame.PictureType.NONE
    for out in out_v.encode(frame):
        dst.mux(out)
    return frames + 1, masked


# ---- audio: copied, or decoded, masked and encoded losslessly -----------------------------------------


@dataclass(frozen=True)
class _AudioFacts:
    mode: str = "none"
    codec: str = ""
    masked: int = 0
    clipped: int = 0
    gaps: int = 0


class _NoAudio:
    def packet(self, packet) -> None:
        raise AssertionError("no audio stream is demuxed")

    def finish(self) -> _AudioFacts:
        return _AudioFacts()


class _CopiedAudio:
    """No masks: every packet copied as it was (decodes to exactly the original's samples)."""

    def __init__(self, in_a, dst) -> None:
        self._out, self._dst = dst.add_stream_from_template(in_a), dst
        self._codec = f"{in_a.codec_context.name} (packets copied)"

    def packet(self, packet) -> None:
        if packet.dts is None:  # the demuxer's end-of-stream marker
            return
        packet.stream = self._out
        self._dst.mux(packet)

    def finish(self) -> _AudioFacts:
        return _AudioFacts(mode="copied", codec=self._codec)


_SIXTEEN_BIT = frozenset({"u8", "u8p", "s16", "s16p"})  # sources FLAC holds bit for bit at 16 bits
TONE_AMPLITUDE = 0.25


class _LosslessAudio:
    """Masks: decode, set the samples inside the ranges, encode FLAC (16 or 24 bits).

    A sample at time t (seconds from the clip's start) is masked when start <= t < end for a range.
    The copy keeps the decoder's timestamps, so its timeline is the original's; where the original's
    audio has a gap, silence fills it (counted), and samples that overlap earlier ones are dropped."""

    def __init__(self, in_a, dst, ranges: Sequence[TimeRange], settings: RenderSettings, zero: float):
        ctx = in_a.codec_context
        self._bits = 16 if ctx.format.name in _SIXTEEN_BIT else 24
        self._rate, self._channels = ctx.sample_rate, ctx.layout.nb_channels
        self._out = dst.add_stream("flac", rate=self._rate)
        self._out.layout = ctx.layout.name
        self._out.format = "s16" if self._bits == 16 else "s32"
        self._in, self._dst, self._ranges, self._zero = in_a, dst, ranges, zero
        self._tone = settings.tone_hz if settings.audio_mask is AudioMask.TONE else None
        self._next: int | None = None  # the next sample's pts (1/rate), for gaps and overlaps
        self._masked = self._clipped = self._gaps = 0

    def packet(self, packet) -> None:
        for frame in packet.decode():  # the end-of-stream marker flushes the decoder
            self._frame(frame)

    def _frame(self, frame) -> None:
        samples = _as_float(frame)  # (channels, n), full scale ±1
        pts = self._next or 0 if frame.pts is None else round(frame.pts * frame.time_base * self._rate)
        if self._next is not None and pts != self._next:
            if pts < self._next:  # overlaps what was written: keep what came first
                samples, pts = samples[:, self._next - pts :], self._next
            else:
                self._gaps += pts - self._next
                self._encode(np.zeros((self._channels, pts - self._next)), self._next)
        if samples.shape[1] == 0:
            return
        times = (pts / self._rate - self._zero) + np.arange(samples.shape[1]) / self._rate
        inside = np.zeros(times.size, bool)
        for r in self._ranges:
            inside |= (times >= r.start) & (times < r.end)
        if inside.any():
            fill = (
                0.0 if self._tone is None else TONE_AMPLITUDE * np.sin(2 * np.pi * self._tone * times[inside])
            )
            samples[:, inside] = fill
            self._masked += int(inside.sum())
        self._encode(samples, pts)

    def _encode(self, samples: np.ndarray, pts: int) -> None:
        full = 2 ** (self._bits - 1)
        scaled = np.rint(samples * full)
        self._clipped += int(np.count_nonzero((scaled < -full) | (scaled > full - 1)))
        ints = np.clip(scaled, -full, full - 1)
        ints = ints.astype(np.int16) if self._bits == 16 else ints.astype(np.int32) << 8  # s32: left-aligned
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(ints.T).reshape(1, -1), format=self._out.format.name, layout=self._out.layout
        )
        frame.sample_rate, frame.pts = self._rate, pts
        for out in self._out.encode(frame):
            self._dst.mux(out)
        self._next = pts + samples.shape[1]

    def finish(self) -> _AudioFacts:
        for out in self._out.encode(None):
            self._dst.mux(out)
        codec = f"flac {self._bits}-bit (lossless, from the decoded {self._in.codec_context.name})"
        return _AudioFacts("lossless", codec, self._masked, self._clipped, self._gaps)


def _as_float(frame) -> np.ndarray:
    """A decoded audio frame as float64 (channels, samples), full scale ±1, exactly (no rounding)."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if not frame.format.is_planar:
        data = data.reshape(-1, channels).T
    if data.dtype.kind == "u":  # unsigned 8-bit
        return (data.astype(np.float64) - 128) / 128
    if data.dtype.kind == "i":
        return data / float(2 ** (8 * data.dtype.itemsize - 1))
    return data.astype(np.float64)


def _audio_path(in_a, dst, ranges: Sequence[TimeRange], settings: RenderSettings, zero: float):
    if in_a is None:
        return _NoAudio()
    if not ranges:
        return _CopiedAudio(in_a, dst)
    return _LosslessAudio(in_a, dst, ranges, settings, zero)
