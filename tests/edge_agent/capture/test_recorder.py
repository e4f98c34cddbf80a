"""UVC capture: segments from the FFmpeg test source standing in for /dev/videoN.

lavfi runs faster than real time and segments are cut by media time, so a
two-minute capture takes a couple of seconds. Stops and unplugs are injected
at a known media time through the recorder's `opener`, never by sleeping.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import pytest
from typer.testing import CliRunner

from edge_agent.capture.recorder import UvcRecorder, open_input, recover_partial_segments, test_source
from edge_agent.capture.segment import RECORDING_SUFFIX, finalize, parse_started_at, segment_name
from edge_agent.cli import app
from hashing import HashingWriter, hash_file
from tests.support.agent import REPO

FAST = {"preset": "ultrafast", "bitrate": 400_000}


def record(out_dir: Path, *, segment_seconds: float, opener=open_input, **kwargs):
    source, input_format, options = test_source(320, 240, 15)
    segments = []
    recorder = UvcRecorder(
        source=source,
        input_format=input_format,
        options=options,
        out_dir=out_dir,
        segment_seconds=segment_seconds,
        on_segment=segments.append,
        name_prefix="car7",
        opener=opener,
        **FAST,
        **kwargs,
    )
    recorder.start()
    recorder.join(120)
    assert not recorder.is_alive(), "recorder thread did not end"
    return recorder, segments


def decoded(path: Path) -> tuple[int, float, bool, set[str]]:
    """(video frames, seconds from first frame to end of last, first frame is a keyframe, codecs)."""
    return decoded_av(path)[:4]


def decoded_av(path: Path) -> tuple[int, float, bool, set[str], float]:
    """`decoded` plus the seconds of audio decoded."""
    with av.open(str(path)) as container:
        codecs = {s.codec_context.name for s in container.streams}
        stream = container.streams.video[0]
        times = []
        first_key = None
        for frame in container.decode(stream):
            first_key = frame.key_frame if first_key is None else first_key
            times.append(frame.time)
        step = 1 / float(stream.average_rate)
    audio_seconds = 0.0
    if "aac" in codecs:
        with av.open(str(path)) as container:
            audio_seconds = sum(f.samples / f.sample_rate for f in container.decode(audio=0))
    span = (times[-1] - times[0] + step) if times else 0.0
    return len(times), span, bool(first_key), codecs, audio_seconds


def top_level_boxes(path: Path) -> list[str]:
    data = path.read_bytes()
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        boxes.append(data[offset + 4 : offset + 8].decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


def assert_hashed(segment) -> None:
    content = segment.path.read_bytes()
    assert segment.digest == hash_file(segment.path)
    assert segment.digest.sha256 == hashlib.sha256(content).hexdigest()
    assert segment.digest.size == len(content)


class Interrupting:
    """An opener whose source does something at a media time: stop the capture, or vanish."""

    def __init__(self, at_seconds: float, *, stop: threading.Event | None = None, unplug: bool = False):
        self.at, self.stop, self.unplug = Fraction(at_seconds), stop, unplug

    def __call__(self, source, input_format, options):
        container = open_input(source, input_format, options)
        outer = self

        class Proxy:
            streams = container.streams

            def demux(self, *streams):
                for packet in container.demux(*streams):
                    if packet.pts is not None and packet.pts * packet.time_base >= outer.at:
                        if outer.unplug:
                            raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))
                        outer.stop.set()
                    yield packet

            def close(self):
                container.close()

        return Proxy()


def test_two_minute_capture_gives_four_hashed_fragmented_segments(tmp_path):
    first_frame_at = datetime(2026, 3, 1, 22, 15, 0, 250_000, tzinfo=UTC)
    recorder, segments = record(tmp_path, segment_seconds=30, max_seconds=120, clock=lambda: first_frame_at)

    assert recorder.end_reason == "capture length reached" and recorder.error is None
    assert len(segments) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(s.path.name for s in segments)
    for segment in segments:
        assert segment.path.suffix == ".mp4" and not segment.partial, segment
        frames, seconds, first_key, codecs, audio_seconds = decoded_av(segment.path)
        assert frames == segment.frames == 450
        assert seconds == pytest.approx(30, abs=1) and audio_seconds == pytest.approx(30, abs=1)
        assert (segment.ended_at - segment.started_at).total_seconds() == pytest.approx(30, abs=1)
        assert first_key and codecs == {"h264", "aac"}
        boxes = top_level_boxes(segment.path)
        assert boxes[:2] == ["ftyp", "moov"] and boxes.count("moof") >= 25, boxes[:6]
        assert_hashed(segment)
    assert [s.started_at for s in segments] == [first_frame_at + timedelta(seconds=30 * i) for i in range(4)]
    assert segments[0].path.name == "car7-20260301T221500.250Z.mp4"
    for before, after in zip(segments, segments[1:], strict=False):
        assert after.started_at == before.ended_at
        assert after.path.name == segment_name("car7", after.started_at)


def test_stop_mid_segment_keeps_a_decodable_partial_segment(tmp_path):
    stop = threading.Event()
    recorder, segments = record(tmp_path, segment_seconds=30, stop=stop, opener=Interrupting(12, stop=stop))

    assert recorder.end_reason == "stopped"
    [segment] = segments
    assert segment.partial and segment.reason == "stopped"
    frames, seconds, first_key, _ = decoded(segment.path)
    assert frames == segment.frames and seconds == pytest.approx(12, abs=1) and first_key
    assert_hashed(segment)
    assert not list(tmp_path.glob("*" + RECORDING_SUFFIX))


def test_unplugged_device_closes_and_keeps_the_segment(tmp_path):
    recorder, segments = record(tmp_path, segment_seconds=10, opener=Interrupting(17, unplug=True))

    assert [s.partial for s in segments] == [False, True]
    unplugged = segments[1]
    assert unplugged.reason.startswith("device gone") and "No such device" in unplugged.reason
    assert "No such device" in recorder.error
    frames, seconds, _, _ = decoded(unplugged.path)
    assert frames == unplugged.frames and seconds == pytest.approx(7, abs=1)
    for segment in segments:
        assert_hashed(segment)
    assert not list(tmp_path.glob("*" + RECORDING_SUFFIX))


def test_end_of_stream_is_a_device_gone_partial_segment(tmp_path):
    segments = []
    recorder = UvcRecorder(
        source="testsrc2=size=160x120:rate=15:duration=4",
        input_format="lavfi",
        options={},
        out_dir=tmp_path,
        segment_seconds=30,
        on_segment=segments.append,
        name_prefix="eos",
        **FAST,
    )
    recorder.start()
    recorder.join(60)
    [segment] = segments
    assert segment.partial and segment.reason == "device gone: end of stream"
    assert decoded(segment.path)[:2] == (60, pytest.approx(4, abs=0.2))
    assert recorder.error is None


@pytest.mark.slow
def test_sigkill_mid_segment_leaves_a_recoverable_hashed_partial_segment(tmp_path):
    # Paced to the wall clock (as a real camera is) so the kill lands inside the second segment.
    command = [
        sys.executable,
        "-m",
        "edge_agent.cli",
        "uvc",
        "record",
        "--out",
        str(tmp_path),
        "--test-source",
        "--realtime",
        "--segment-seconds",
        "4",
        "--preset",
        "ultrafast",
        "--bitrate",
        "400000",
    ]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            recording = list(tmp_path.glob("*" + RECORDING_SUFFIX))
            closed = list(tmp_path.glob("*.mp4"))
            if closed and recording and recording[0].stat().st_size > 100_000:  # some 1-s fragments
                break
            threading.Event().wait(0.05)
        assert proc.poll() is None, proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    [closed_before] = [json.loads(line) for line in out.splitlines()]
    assert not closed_before["partial"] and closed_before["frames"] == 60
    assert hashlib.sha256(Path(closed_before["path"]).read_bytes()).hexdigest() == closed_before["sha256"]
    [left_open] = list(tmp_path.glob("*" + RECORDING_SUFFIX))
    size_at_crash = left_open.stat().st_size

    [segment] = recover_partial_segments(tmp_path)
    assert segment.path.name == left_open.name.removesuffix(RECORDING_SUFFIX) and not left_open.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [Path(closed_before["path"]).name, segment.path.name]
    )
    assert segment.partial and segment.reason.startswith("recovered after a crash")
    assert segment.digest.size == size_at_crash
    assert_hashed(segment)
    frames, seconds, first_key, _ = decoded(segment.path)
    assert frames == segment.frames >= 15 and first_key  # at least a second survived
    assert segment.started_at == parse_started_at(segment.path.name)
    assert (segment.ended_at - segment.started_at).total_seconds() == pytest.approx(seconds, abs=0.1)
    assert recover_partial_segments(tmp_path) == []


def test_recovery_keeps_a_file_that_does_not_decode(tmp_path):
    junk = tmp_path / ("car7-20260101T000000.000Z.mp4" + RECORDING_SUFFIX)
    junk.write_bytes(b"\x00\x00\x00\x1cftypiso5" + b"\x17" * 500)

    result = CliRunner().invoke(app, ["uvc", "recover", str(tmp_path)])
    assert result.exit_code == 0
    [line] = result.stdout.splitlines()
    segment = json.loads(line)
    assert segment["frames"] == 0 and segment["partial"] and "no decodable frames" in segment["reason"]
    assert segment["path"] == str(tmp_path / "car7-20260101T000000.000Z.mp4") and not junk.exists()
    assert segment["sha256"] == hashlib.sha256(Path(segment["path"]).read_bytes()).hexdigest()
    assert segment["started_at"] == "2026-01-01T00:00:00+00:00"


def test_finalize_never_overwrites_a_segment(tmp_path):
    (tmp_path / "car7-20260101T000000.000Z.mp4").write_bytes(b"kept")
    recording = tmp_path / ("car7-20260101T000000.000Z.mp4" + RECORDING_SUFFIX)
    recording.write_bytes(b"new")

    final = finalize(recording)
    assert final.name == "car7-20260101T000000.000Z-1.mp4" and final.read_bytes() == b"new"
    assert (tmp_path / "car7-20260101T000000.000Z.mp4").read_bytes() == b"kept"


def test_a_source_that_cannot_be_opened_is_reported(tmp_path):
    recorder, segments = record(
        tmp_path, segment_seconds=10, opener=lambda *a: open_input("nosuchfilter=x", "lavfi", {})
    )
    assert segments == [] and recorder.error and recorder.status()["error"] == recorder.error


def test_device_like_timestamps_and_pixel_format(tmp_path):
    # V4L2 gives packed YUYV frames stamped in microseconds from the kernel's monotonic clock.
    source = "testsrc2=size=320x240:rate=30,format=yuyv422,settb=1/1000000,setpts=PTS+8123456789012"
    segments = []
    recorder = UvcRecorder(
        source=source,
        input_format="lavfi",
        options={},
        out_dir=tmp_path,
        segment_seconds=5,
        on_segment=segments.append,
        name_prefix="v4l2",
        max_seconds=10,
        **FAST,
    )
    recorder.start()
    recorder.join(60)
    assert [(s.partial, s.frames) for s in segments] == [(False, 150), (False, 150)]
    for segment in segments:
        frames, seconds, first_key, codecs = decoded(segment.path)
        assert (frames, first_key, codecs) == (150, True, {"h264"})
        assert seconds == pytest.approx(5, abs=0.1)
        assert_hashed(segment)


def test_a_full_disk_closes_and_keeps_what_was_written(tmp_path, monkeypatch):
    class FullDisk(HashingWriter):
        def write(self, data):
            if self.bytes_written + len(data) > 150_000:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return super().write(data)

    monkeypatch.setattr("edge_agent.capture.segment.HashingWriter", FullDisk)
    recorder, segments = record(tmp_path, segment_seconds=30, max_seconds=120)

    [segment] = segments
    assert segment.partial and segment.reason.startswith("write error") and "No space" in recorder.error
    assert 0 < segment.digest.size <= 150_000
    assert_hashed(segment)
    frames, _, first_key, _ = decoded(segment.path)
    assert frames > 0 and first_key
    assert not list(tmp_path.glob("*" + RECORDING_SUFFIX))


def test_a_slow_on_segment_never_holds_up_the_capture(tmp_path):
    release, seen = threading.Event(), []

    def slow_journal(segment):
        seen.append(segment)
        release.wait(60)

    source, input_format, options = test_source(320, 240, 15)
    recorder = UvcRecorder(
        source=source,
        input_format=input_format,
        options=options,
        out_dir=tmp_path,
        segment_seconds=10,
        on_segment=slow_journal,
        name_prefix="slow",
        max_seconds=40,
        **FAST,
    )
    recorder.start()
    try:
        deadline = time.monotonic() + 60
        while recorder.end_reason is None and time.monotonic() < deadline:
            threading.Event().wait(0.05)
        assert recorder.end_reason == "capture length reached" and recorder.segments_closed == 4
        assert len(seen) == 1  # the capture went on while the first hand-over was stuck
    finally:
        release.set()
        recorder.join(60)
    assert not recorder.is_alive()
    assert [s.path for s in seen] == sorted(tmp_path.glob("*.mp4"))


@pytest.mark.parametrize("leap", ["-1000", "+3600"])
def test_a_camera_clock_leap_does_not_distort_segment_lengths(tmp_path, leap):
    # At frame 75 (5 s) the camera's timestamps jump (a USB reset restarts its clock).
    source = rf"testsrc2=size=160x120:rate=15,setpts='PTS+if(gte(N\,75)\,{leap}/TB\,0)'"
    segments = []
    recorder = UvcRecorder(
        source=source,
        input_format="lavfi",
        options={},
        out_dir=tmp_path,
        segment_seconds=4,
        on_segment=segments.append,
        name_prefix="leap",
        max_seconds=12,
        **FAST,
    )
    recorder.start()
    recorder.join(60)
    assert [(s.partial, s.frames) for s in segments] == [(False, 60)] * 3
    for segment in segments:
        assert (segment.ended_at - segment.started_at).total_seconds() == pytest.approx(4)
        assert decoded(segment.path)[:2] == (60, pytest.approx(4, abs=0.1))


def box_offsets(path: Path, kind: str) -> list[int]:
    data, offsets, offset = path.read_bytes(), [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        if data[offset + 4 : offset + 8] == kind.encode():
            offsets.append(offset)
        if size < 8:
            break
        offset += size
    return offsets


def test_a_segment_cut_mid_fragment_still_decodes_up_to_the_cut(tmp_path):
    _, [whole] = record(tmp_path / "whole", segment_seconds=6, max_seconds=6)
    moofs = box_offsets(whole.path, "moof")
    assert len(moofs) >= 6  # one fragment per second of video (1-s GOPs)
    data = whole.path.read_bytes()
    cut = (moofs[3] + moofs[4]) // 2  # inside the fourth fragment, as a kill would leave it
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    (crashed / (whole.path.name + RECORDING_SUFFIX)).write_bytes(data[:cut])

    [segment] = recover_partial_segments(crashed)
    assert segment.digest.size == cut and segment.digest.sha256 == hashlib.sha256(data[:cut]).hexdigest()
    frames = 0
    with av.open(str(segment.path)) as container:
        try:
            for _ in container.decode(video=0):
                frames += 1
        except av.InvalidDataError:  # the packet the cut went through
            pass
    assert 45 <= frames == segment.frames < whole.frames  # three whole fragments at least
    assert f"{frames} frames" in segment.reason
