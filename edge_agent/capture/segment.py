"""One dashcam segment on disk: a fragmented MP4 encoded, muxed and hashed front to back.

`SegmentWriter` owns one segment from its first frame to its close. It creates
`<prefix>-<UTC start>.mp4.recording` through `hashing.HashingWriter` (so the
digest is computed as the bytes go to disk), muxes H.264 (+ AAC when the source
has audio) with `frag_keyframe+empty_moov+default_base_moof` so the file is
written strictly front to back and every complete fragment stays playable after
a crash, and gives each segment its own encoders: the segment starts with an IDR
frame and stands alone. GOPs (hence fragments) are `fragment_seconds` long and
the file is fdatasynced about once per fragment, so a kill loses at most the
fragment being written and a power cut about two.

`close()` flushes the encoders, writes the trailer, lets `HashingWriter.close`
fsync the file and its folder, then renames the file to its final `.mp4` name and
fsyncs the folder again: a name without `.recording` always means a closed,
durable segment.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av

from hashing import Digest, HashingWriter, fsync_dir

log = logging.getLogger(__name__)

RECORDING_SUFFIX = ".recording"
MP4_FLAGS = "frag_keyframe+empty_moov+default_base_moof"
_STAMP = "%Y%m%dT%H%M%S"


@dataclass(frozen=True)
class Segment:
    path: Path
    digest: Digest
    started_at: datetime
    ended_at: datetime
    partial: bool
    frames: int
    reason: str

    def as_dict(self) -> dict:
        """The JSON-ready summary printed by `evidence-agent uvc record|recover`."""
        return {
            "path": str(self.path),
            "sha256": self.digest.sha256,
            "size": self.digest.size,
            "partial": self.partial,
            "frames": self.frames,
            "reason": self.reason,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat(),
        }


@dataclass(frozen=True)
class EncodeSettings:
    codec: str = "libx264"
    bitrate: int = 2_000_000
    preset: str = "veryfast"
    fragment_seconds: float = 1.0
    audio_bitrate: int = 64_000


def segment_name(prefix: str, started_at: datetime) -> str:
    at = started_at.astimezone(UTC)
    return f"{prefix}-{at.strftime(_STAMP)}.{at.microsecond // 1000:03d}Z.mp4"


def parse_started_at(name: str) -> datetime | None:
    """The UTC start written into a segment name by `segment_name`, or None."""
    stem = name.removesuffix(RECORDING_SUFFIX).removesuffix(".mp4")
    stamp = stem.rsplit("-", 1)[-1]
    try:
        return datetime.strptime(stamp, _STAMP + ".%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def finalize(recording: Path) -> Path:
    """Rename a closed `.recording` file to a free final name; fsync the folder."""
    final = recording.with_name(recording.name.removesuffix(RECORDING_SUFFIX))
    n = 0
    while final.exists():  # never overwrite a segment
        n += 1
        final = recording.with_name(recording.name.removesuffix(".mp4" + RECORDING_SUFFIX) + f"-{n}.mp4")
    os.rename(recording, final)
    fsync_dir(final.parent)
    return final


def _create_writer(out_dir: Path, prefix: str, started_at: datetime, sync_every: int) -> HashingWriter:
    name = segment_name(prefix, started_at)
    for n in range(1000):
        candidate = name if n == 0 else name.removesuffix(".mp4") + f"-{n}.mp4"
        if (out_dir / candidate).exists():
            continue
        try:
            return HashingWriter(out_dir / (candidate + RECORDING_SUFFIX), sync_every=sync_every)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free segment name for {name} in {out_dir}")


class SegmentWriter:
    """Encodes frames into one segment; the caller gives times relative to the segment start."""

    def __init__(
        self,
        out_dir: Path,
        prefix: str,
        started_at: datetime,
        *,
        width: int,
        height: int,
        rate: Fraction,
        video_time_base: Fraction,
        audio: av.AudioStream | None,
        settings: EncodeSettings,
    ):
        self.started_at = started_at
        self.frames = 0
        # fdatasync about once per fragment: a power cut loses ~2 fragments, not 4 MiB of video.
        sync_every = max(64 * 1024, int(settings.bitrate / 8 * settings.fragment_seconds))
        self._writer = _create_writer(out_dir, prefix, started_at, sync_every)
        self.path = self._writer.path
        self._closed = False
        try:
            self._out = av.open(self._writer, mode="w", format="mp4", options={"movflags": MP4_FLAGS})
            self._video = self._add_video(width, height, rate, video_time_base, settings)
            self._audio = self._add_audio(audio, settings) if audio is not None else None
        except BaseException:
            self._writer.close()
            log.error(
                "could not start segment %s; keeping what was written (%d bytes)",
                self.path,
                self._writer.bytes_written,
            )
            raise
        self._fifo = av.AudioFifo() if self._audio is not None else None
        self._audio_samples = 0
        self._last_pts = -1

    def _add_video(self, width, height, rate, time_base, settings):
        gop = max(1, round(float(rate) * settings.fragment_seconds))
        stream = self._out.add_stream(
            settings.codec, rate=rate, options={"preset": settings.preset, "tune": "zerolatency"}
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = settings.bitrate
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        stream.codec_context.gop_size = gop
        return stream

    def _add_audio(self, source: av.AudioStream, settings):
        rate = source.codec_context.sample_rate
        layout = source.codec_context.layout.name
        stream = self._out.add_stream("aac", rate=rate, layout=layout)
        stream.bit_rate = settings.audio_bitrate
        self._resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        return stream

    @property
    def bytes_written(self) -> int:
        return self._writer.bytes_written

    def add_video(self, frame: av.VideoFrame, offset: Fraction) -> None:
        """Encode a frame shown `offset` seconds after the segment start."""
        pts = round(offset / self._video.codec_context.time_base)
        pts = max(pts, self._last_pts + 1)  # devices can repeat timestamps; the muxer cannot
        self._last_pts = pts
        if frame.format.name != "yuv420p" or frame.width != self._video.width:
            frame = frame.reformat(width=self._video.width, height=self._video.height, format="yuv420p")
        frame.pts, frame.time_base = pts, self._video.codec_context.time_base
        frame.pict_type = av.video.frame.PictureType.NONE  # let the encoder place keyframes (GOP)
        self._out.mux(self._video.encode(frame))
        self.frames += 1

    def add_audio(self, frame: av.AudioFrame, offset: Fraction) -> None:
        """Queue audio heard `offset` seconds after the segment start (earlier audio starts at 0)."""
        if self._audio is None:
            return
        if self._audio_samples == 0 and self._fifo.samples == 0 and offset > 0:
            self._audio_samples = round(offset * self._audio.codec_context.sample_rate)
        for out in self._resampler.resample(frame):
            out.pts = None
            self._fifo.write(out)
        self._drain_audio(self._audio.codec_context.frame_size or 1024)

    def _drain_audio(self, size: int, final: bool = False) -> None:
        while self._fifo.samples >= size or (final and self._fifo.samples):
            chunk = self._fifo.read(min(size, self._fifo.samples))
            chunk.pts, chunk.time_base = self._audio_samples, Fraction(1, chunk.sample_rate)
            self._audio_samples += chunk.samples
            self._out.mux(self._audio.encode(chunk))

    def close(self) -> tuple[Path, Digest, str | None]:
        """Flush, write the trailer, fsync, rename final; returns (path, digest, error or None).

        The file is kept whatever fails: a muxer error still closes, hashes and
        renames what was written, and names the error. Only a failed fsync
        raises, and then the `.recording` file stays for `recover_partial_segments`.
        """
        if self._closed:
            raise ValueError(f"segment {self.path} already closed")
        self._closed = True
        error = None
        try:
            try:
                if self._audio is not None:
                    self._drain_audio(self._audio.codec_context.frame_size or 1024, final=True)
                    self._out.mux(self._audio.encode(None))
                self._out.mux(self._video.encode(None))
            finally:
                self._out.close()
        except (av.FFmpegError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.error("segment %s did not close cleanly (%s); keeping what was written", self.path, error)
        self._writer.close()
        self.path = finalize(self._writer.path)
        return self.path, self._writer.digest(), error
