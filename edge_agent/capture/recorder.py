"""UVC/V4L2 dashcam capture: a device stream recorded as hashed, fragmented MP4 segments.

`UvcRecorder` is a thread with a stop event. It opens the source with PyAV
(`av.open(source, format=input_format, options=...)`: `/dev/videoN` with
"v4l2" on a car, an FFmpeg `lavfi` graph from `test_source()` in tests and the
demo, through the same code), re-encodes to H.264 (+ AAC when the source has
audio) and cuts segments by media time: a segment closes at the first video
frame at or after `segment_seconds`, and that frame opens the next segment with
fresh encoders (an IDR frame), so every cut is keyframe-aligned.

Promises:
- segments are written front to back through `hashing.HashingWriter` (hashed as
  written), as `<prefix>-<UTC start>.mp4.recording`, renamed to `.mp4` once
  closed and fsynced; then `on_segment(Segment(...))` is called;
- an unplugged device (a read error or end of stream from the demuxer), a
  write error or `stop()` closes the current segment and keeps it, with
  `partial=True` and the reason; a segment that reached its length is
  `partial=False`;
- after a crash, `recover_partial_segments(out_dir)` keeps what was left open.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av

from edge_agent.capture.recovery import recover_partial_segments
from edge_agent.capture.segment import EncodeSettings, Segment, SegmentWriter

__all__ = ["Segment", "UvcRecorder", "open_input", "recover_partial_segments", "test_source"]

log = logging.getLogger(__name__)

MAX_FRAME_GAP = Fraction(5)  # a longer silence between two frames is a clock leap, not footage


def _utc_now() -> datetime:
    return datetime.now(UTC)


def test_source(
    width: int = 320, height: int = 240, rate: int = 15, *, audio: bool = True, realtime: bool = False
) -> tuple[str, str, dict]:
    """(source, input_format, options) for an FFmpeg test picture (+ 440 Hz tone) standing in for a device.

    lavfi runs faster than real time; `realtime=True` paces it to the wall clock
    (FFmpeg's realtime filters), as a real camera is, for the demo.
    """
    pace = ",realtime" if realtime else ""
    graph = f"testsrc2=size={width}x{height}:rate={rate}{pace}[out0]"
    if audio:
        graph += f";sine=frequency=440:sample_rate=48000{',arealtime' if realtime else ''}[out1]"
    return graph, "lavfi", {}


test_source.__test__ = False  # a factory, not a pytest test


def open_input(source: str, input_format: str | None, options: dict[str, str]):
    """The default opener: a read that stalls for 5 s counts as a lost device."""
    return av.open(source, format=input_format, options=dict(options), timeout=(10.0, 5.0))


class UvcRecorder:
    """Records one device into segments until stopped, unplugged or `max_seconds` of media."""

    def __init__(
        self,
        *,
        source: str,
        input_format: str,
        options: dict[str, str],
        out_dir: Path,
        segment_seconds: float,
        on_segment: Callable[[Segment], None],
        name_prefix: str,
        clock: Callable[[], datetime] = _utc_now,
        stop: threading.Event | None = None,
        codec: str = "libx264",
        bitrate: int = 2_000_000,
        preset: str = "veryfast",
        fragment_seconds: float = 1.0,
        audio: bool = True,
        audio_bitrate: int = 64_000,
        max_seconds: float | None = None,
        opener: Callable[[str, str | None, dict[str, str]], object] = open_input,
    ):
        if segment_seconds <= 0:
            raise ValueError(f"segment_seconds must be positive, got {segment_seconds}")
        self.source, self.input_format, self.options = source, input_format, dict(options)
        self.out_dir = Path(out_dir)
        self.segment_seconds = Fraction(segment_seconds)
        self.max_seconds = None if max_seconds is None else Fraction(max_seconds)
        self.name_prefix = name_prefix
        self.settings = EncodeSettings(
            codec=codec,
            bitrate=bitrate,
            preset=preset,
            fragment_seconds=fragment_seconds,
            audio_bitrate=audio_bitrate,
        )
        self._on_segment, self._clock, self._opener, self._audio = on_segment, clock, opener, audio
        self._stop = stop or threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"uvc-{name_prefix}", daemon=True)
        # on_segment runs on its own thread: a slow journal or thumbnail never makes the
        # device drop frames. Segments are handed over in order; None ends the thread.
        self._closed_segments: queue.SimpleQueue[Segment | None] = queue.SimpleQueue()
        self._notifier = threading.Thread(target=self._notify, name=f"uvc-{name_prefix}-notify", daemon=True)
        self._segment: SegmentWriter | None = None
        self._seg_start = Fraction(0)
        self._t0: Fraction | None = None
        self._wall0: datetime | None = None
        self._last_video: Fraction | None = None
        self._seg_last_video: Fraction | None = None
        self._frame_rate = Fraction(30)
        self._rebase = Fraction(0)
        self._streams = None
        self.segments_closed = 0
        self.end_reason: str | None = None
        self.error: str | None = None

    def start(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._notifier.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the capture to end and every closed segment to be handed to on_segment."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._thread.join(timeout)
        self._notifier.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def is_alive(self) -> bool:
        return self._thread.is_alive() or self._notifier.is_alive()

    def _notify(self) -> None:
        while (segment := self._closed_segments.get()) is not None:
            try:
                self._on_segment(segment)
            except Exception:
                log.exception("on_segment failed for %s; the segment is kept on disk", segment.path)

    def status(self) -> dict:
        seg = self._segment
        return {
            "source": self.source,
            "recording": str(seg.path) if seg else None,
            "bytes": seg.bytes_written if seg else 0,
            "segments_closed": self.segments_closed,
            "running": self.is_alive(),
            "end_reason": self.end_reason,
            "error": self.error,
        }

    def _run(self) -> None:
        try:
            self.end_reason = self._record()
        except Exception as exc:  # the thread must say why it ended, never die silently
            self.error = self.end_reason = f"{type(exc).__name__}: {exc}"
            log.exception("capture from %s failed", self.source)
            if (open_segment := self._segment) is not None:
                try:
                    self._close(complete=False, reason=f"capture failed: {self.error}")
                except Exception:  # the .recording file stays for recover_partial_segments
                    log.exception("could not close %s after a failure", open_segment.path)
        finally:
            self._closed_segments.put(None)
        log.info("capture from %s ended: %s", self.source, self.end_reason)

    def _record(self) -> str:
        container = self._opener(self.source, self.input_format, self.options)
        try:
            if not container.streams.video:
                raise ValueError(f"{self.source} has no video stream")
            streams = [container.streams.video[0]]
            if self._audio and container.streams.audio:
                streams.append(container.streams.audio[0])
            return self._capture(container, streams)
        finally:
            container.close()

    def _capture(self, container, streams) -> str:
        self._streams = streams
        packets = container.demux(*streams)
        while True:
            if self._stop.is_set():
                return self._close(complete=False, reason="stopped")
            try:
                packet = next(packets)
            except StopIteration:
                return self._close(complete=False, reason="device gone: end of stream")
            except (av.FFmpegError, OSError) as exc:
                self.error = f"{type(exc).__name__}: {exc}"
                return self._close(complete=False, reason=f"device gone: {self.error}")
            try:
                frames = packet.decode()
            except av.InvalidDataError as exc:
                log.warning(
                    "skipping an undecodable packet from %s at pts %s: %s", self.source, packet.pts, exc
                )
                continue
            for frame in frames:
                try:
                    ended = self._take(frame, packet.stream)
                except (av.FFmpegError, OSError) as exc:
                    self.error = f"{type(exc).__name__}: {exc}"
                    return self._close(complete=False, reason=f"write error: {self.error}")
                if ended:
                    return ended

    def _take(self, frame, stream) -> str | None:
        video = stream.type == "video"
        if frame.pts is None:
            t = self._guess_time(stream)
        else:
            t = Fraction(frame.pts) * stream.time_base + self._rebase
            if video:
                t = self._continuous(t)
        if self._t0 is None:
            self._t0, self._wall0 = t, self._clock()
        if video and self._segment is not None:
            reached = t - self._seg_start >= self.segment_seconds
            if self.max_seconds is not None and t - self._t0 >= self.max_seconds:
                return self._close(complete=reached, reason="capture length reached")
            if reached:
                self._close(complete=True, reason="segment length reached")
        if self._segment is None:
            self._open(t)
        if video:
            self._segment.add_video(frame, t - self._seg_start)
            self._last_video = self._seg_last_video = t
        else:
            self._segment.add_audio(frame, t - self._seg_start)
        return None

    def _continuous(self, t: Fraction) -> Fraction:
        """Media time that only moves forward, without leaps: segment lengths stay true.

        A camera's clock can step back or leap ahead (a USB reset restarts its
        timestamps); the recording then continues one frame after the last one.
        """
        last = self._last_video
        if last is None or last < t <= last + MAX_FRAME_GAP:
            return t
        following = last + 1 / self._frame_rate
        log.warning(
            "timestamp discontinuity from %s (%.3f s after the last frame); continuing the recording's clock",
            self.source,
            float(t - last),
        )
        self._rebase += following - t
        return following

    def _guess_time(self, stream) -> Fraction:
        rate = stream.average_rate or Fraction(30)
        return (self._last_video or Fraction(0)) + 1 / rate if stream.type == "video" else self._seg_start

    def _wall(self, t: Fraction) -> datetime:
        return self._wall0 + timedelta(seconds=float(t - self._t0))

    def _open(self, t: Fraction) -> None:
        video = self._streams[0]
        audio = self._streams[1] if len(self._streams) > 1 else None
        self._seg_start, self._frame_rate = t, self._rate(video)
        self._segment = SegmentWriter(
            self.out_dir,
            self.name_prefix,
            self._wall(t),
            width=video.codec_context.width,
            height=video.codec_context.height,
            rate=self._frame_rate,
            video_time_base=video.time_base,
            audio=audio,
            settings=self.settings,
        )
        log.info("recording segment %s", self._segment.path)

    @staticmethod
    def _rate(video) -> Fraction:
        return Fraction(video.average_rate or video.guessed_rate or 30)

    def _close(self, *, complete: bool, reason: str) -> str:
        seg, self._segment = self._segment, None
        if seg is None:
            return reason
        last = self._seg_last_video
        ended = last + 1 / self._frame_rate if last is not None else self._seg_start
        path, digest, error = seg.close()
        if error:
            complete, reason = False, f"{reason}; closing: {error}"
        segment = Segment(
            path=path,
            digest=digest,
            started_at=seg.started_at,
            ended_at=self._wall(max(ended, self._seg_start)),
            partial=not complete,
            frames=seg.frames,
            reason=reason,
        )
        self._seg_last_video = None
        self.segments_closed += 1
        log.info("closed segment %s (%d frames, %s)", path, seg.frames, reason)
        self._closed_segments.put(segment)
        return reason
