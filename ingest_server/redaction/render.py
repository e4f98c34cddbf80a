"""Render a redacted derived copy: decode with PyAV, mask regions per frame, encode H.264, keep the audio.

Promises:
- The original is opened read-only (`open(path, "rb")` handed to PyAV), never written, renamed or locked.
- The derived file appears at its destination complete or not at all, and never over an existing file
  (`atomic.new_file`): a process killed at any point leaves nothing behind.
- Audio survives. Without masked ranges its packets are copied unchanged. With masked ranges (AAC-LC,
  what body cameras record) the packets of masked frames are replaced by packets of encoded silence or
  tone, and every other packet is copied unchanged, so the audio outside a mask decodes to exactly the
  original samples except one AAC frame (1024 samples, 21 ms at 48 kHz) on each side of a masked range:
  AAC frames overlap by half, so the frame next to a replaced one fades between the two. To keep the
  masked range itself silent, the frame before each masked run is replaced too. Any other audio codec
  with masks is refused, by name, rather than re-encoded silently.
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
    audio: str  # "none", "copied" or "spliced"
    audio_packets_replaced: int
    dropped_streams: tuple[str, ...] = ()  # "index:type:codec" of streams not carried (data, GPS, 2nd audio)


class RenderError(Exception):
    """A clip this renderer refuses, with the reason in words."""


def overlaps(start: float, end: float, ranges: Sequence[TimeRange]) -> bool:
    return any(start < r.end and r.start < end for r in ranges)


class _AacFiller:
    """Encoded AAC-LC packets of silence or a tone, matching a stream's rate and channel layout."""

    def __init__(self, *, rate: int, layout: str, mode: AudioMask, tone_hz: float) -> None:
        self._encoder = av.CodecContext.create("aac", "w")
        self._encoder.sample_rate = rate
        self._encoder.layout = layout
        self._encoder.format = "fltp"
        self._encoder.bit_rate = 128_000
        self._encoder.open()
        self._channels = self._encoder.layout.nb_channels
        self._mode, self._hz, self._rate = mode, tone_hz, rate
        self._n = 0
        self._ready: list[bytes] = []
        for _ in range(4):  # past the encoder's priming frames
            self._feed()
        self._ready.clear()

    def _feed(self) -> None:
        t = (self._n * 1024 + np.arange(1024)) / self._rate
        wave = 0.25 * np.sin(2 * np.pi * self._hz * t) if self._mode is AudioMask.TONE else np.zeros(1024)
        frame = av.AudioFrame.from_ndarray(
            np.repeat(wave[np.newaxis].astype(np.float32), self._channels, 0),
            format="fltp",
            layout=self._encoder.layout,
        )
        frame.sample_rate = self._rate
        frame.pts = self._n * 1024
        self._n += 1
        self._ready.extend(bytes(p) for p in self._encoder.encode(frame))

    def next(self) -> bytes:
        while not self._ready:
            self._feed()
        return self._ready.pop(0)


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
            frames, masked, audio, replaced, dropped = _transcode(
                original, out_file, regions, audio_ranges, settings, progress
            )
    except DestinationExists as exc:
        raise RenderError(str(exc)) from exc
    except av.error.FFmpegError as exc:
        raise RenderError(f"{Path(source).name} cannot be read as video: {exc}") from exc
    sha256, size = written.sha256, written.size
    return RenderResult(destination, sha256, size, frames, masked, audio, replaced, dropped)


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
        out_a = filler = None
        audio = "none"
        if in_a is not None:
            out_a = dst.add_stream_from_template(in_a)
            audio = "copied"
            if audio_ranges:
                ctx = in_a.codec_context
                if ctx.name != "aac" or (ctx.profile or "LC") != "LC":
                    found = f"{ctx.name} {ctx.profile or ''}".strip()
                    raise RenderError(f"masking audio needs AAC-LC audio; this clip's audio is {found}")
                filler = _AacFiller(
                    rate=ctx.sample_rate,
                    layout=ctx.layout.name,
                    mode=settings.audio_mask,
                    tone_hz=settings.tone_hz,
                )
                audio = "spliced"
        zero = (src.start_time or 0) / 1_000_000  # the clip's own zero, in seconds

        frames = masked = replaced = 0
        held = None  # the previous audio packet and whether it must be replaced
        streams = [in_v] + ([in_a] if in_a is not None else [])
        for packet in src.demux(*streams):
            if packet.stream is in_v:
                for frame in packet.decode():
                    frames, masked = _video_frame(frame, frames, masked, regions, settings, out_v, dst)
                    if progress is not None:
                        progress(frames)
                continue
            if packet.dts is None:  # the demuxer's end-of-stream marker
                continue
            if filler is None:
                packet.stream = out_a
                dst.mux(packet)
                continue
            start = float(packet.pts * packet.time_base) - zero
            end = start + float((packet.duration or 1024) * packet.time_base)
            hit = overlaps(start, end, audio_ranges)
            if held is not None:
                previous, previous_hit = held
                replaced += _mux_audio(previous, previous_hit or hit, filler, out_a, dst)
            held = (packet, hit)
        if held is not None:
            replaced += _mux_audio(held[0], held[1], filler, out_a, dst)
        for out in out_v.encode(None):  # flush the encoder
            dst.mux(out)
        kept = {in_v.index} | ({in_a.index} if in_a is not None else set())
        dropped = tuple(
            f"{st.index}:{st.type}:{getattr(st.codec_context, 'name', None) or '?'}"
            for st in src.streams
            if st.index not in kept
        )
    return frames, masked, audio, replaced, dropped


def _video_frame(frame, frames, masked, regions, settings, out_v, dst):
    boxes = regions(frames)
    if boxes:
        frame = mask_frame(frame, boxes, settings)
        masked += 1
    frame.pict_type = av.video.frame.PictureType.NONE
    for out in out_v.encode(frame):
        dst.mux(out)
    return frames + 1, masked


def _mux_audio(packet, replace: bool, filler, out_a, dst) -> int:
    if replace:
        new = av.Packet(filler.next())
        new.pts, new.dts, new.duration = packet.pts, packet.dts, packet.duration
        new.time_base = packet.time_base
        packet = new
    packet.stream = out_a
    dst.mux(packet)
    return 1 if replace else 0
