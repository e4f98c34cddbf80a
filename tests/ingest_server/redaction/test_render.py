"""A redacted copy of made footage: faces masked, audio kept, original untouched, nothing half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import av
import numpy as np
import pytest

from ingest_server.redaction.pipeline import ScanSettings, expected_frames, redact, scan
from ingest_server.redaction.render import RenderError, RenderSettings, Style, TimeRange, render
from ingest_server.redaction.tracks import manual_track, regions_at
from tests.ingest_server.redaction import footage
from tests.ingest_server.redaction.conftest import sha256

RELEASE = ScanSettings()
BLACK = RenderSettings(style=Style.FILL)


@pytest.fixture(scope="module")
def scanned(clip, detector):
    return scan(source=clip.path, detector=detector, settings=RELEASE)


def video_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as src:
        return [f.to_ndarray(format="rgb24") for f in src.decode(video=0)]


def inner(box, shrink=0.2):
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * shrink, (y2 - y1) * shrink
    return int(x1 + dx), int(y1 + dy), int(x2 - dx), int(y2 - dy)


def test_recall_of_the_true_face_boxes_at_the_release_settings(clip, scanned):
    figure = footage.recall(
        clip, lambda i: regions_at(i, scanned.tracks, pad=RELEASE.pad, width=clip.width, height=clip.height)
    )
    faces = sum(len(b) for b in clip.truth)
    print(f"\nper-frame recall at {RELEASE.as_dict()}: {figure:.3f} of {faces} face-frames")
    assert figure >= 0.95
    assert len(scanned.tracks) == 2  # one per face: what a custodian reviews


def test_the_rendered_copy_masks_every_true_face_and_leaves_the_rest(clip, scanned, tmp_path):
    out = tmp_path / "redacted.mp4"
    result = redact(
        source=clip.path, destination=out, found=scanned, scan_settings=RELEASE, render_settings=BLACK
    )
    assert result.frames == clip.frames == len(video_frames(out))
    before, after = video_frames(clip.path), video_frames(out)
    dark = total = 0
    for i, boxes in enumerate(clip.truth):
        for box in boxes:
            x1, y1, x2, y2 = inner(box)
            total += 1
            dark += after[i][y1:y2, x1:x2].mean() < 40 <= before[i][y1:y2, x1:x2].mean()
    print(f"\nfaces black in the rendered copy: {dark}/{total}")
    assert dark / total >= 0.95
    corner = slice(300, 360), slice(0, 120)  # no face ever comes here
    err = np.mean(
        [
            np.abs(a[corner].astype(int) - b[corner].astype(int)).mean()
            for a, b in zip(before, after, strict=True)
        ]
    )
    assert err < 6  # re-encoded, so not bit-equal, but the same picture


def test_a_rejected_track_is_left_visible_and_a_manual_box_is_masked_over_its_span(clip, scanned, tmp_path):
    small = max(scanned.tracks, key=lambda t: t.first)  # the face that comes in a third of the way
    drawn = manual_track(
        "m1", [(10, (20.0, 300.0, 100.0, 350.0)), (20, (20.0, 300.0, 100.0, 350.0))], last=40
    )
    out = tmp_path / "redacted.mp4"
    redact(
        source=clip.path,
        destination=out,
        found=scanned,
        scan_settings=RELEASE,
        rejected=frozenset({small.id}),
        manual=[drawn],
        render_settings=BLACK,
    )
    after = video_frames(out)
    frame = 50
    big_box, small_box = sorted(clip.truth[frame], key=lambda b: b[0])
    x1, y1, x2, y2 = inner(small_box)
    assert after[frame][y1:y2, x1:x2].mean() > 80  # rejected: still a face
    x1, y1, x2, y2 = inner(big_box)
    assert after[frame][y1:y2, x1:x2].mean() < 40
    patch = slice(305, 345), slice(25, 95)
    assert all(after[i][patch].mean() < 40 for i in range(10, 41))
    assert after[5][patch].mean() > 60 and after[45][patch].mean() > 60


def test_the_original_is_byte_for_byte_the_same_after_a_redaction(clip, scanned, tmp_path):
    before_bytes, before_sum = clip.path.read_bytes(), sha256(clip.path)
    before_stat = clip.path.stat()
    out = tmp_path / "redacted.mp4"
    result = redact(
        source=clip.path,
        destination=out,
        found=scanned,
        scan_settings=RELEASE,
        audio_ranges=[TimeRange(0.5, 1)],
    )
    assert clip.path.read_bytes() == before_bytes and sha256(clip.path) == before_sum
    assert clip.path.stat().st_mtime_ns == before_stat.st_mtime_ns
    assert oct(clip.path.stat().st_mode & 0o777) == "0o444"  # it was read-only, and read it was
    assert result.sha256 == sha256(out) != before_sum
    assert result.size == out.stat().st_size


def test_an_existing_destination_is_never_overwritten(clip, tmp_path):
    out = tmp_path / "redacted.mp4"
    out.write_bytes(b"an earlier copy")
    with pytest.raises(RenderError, match="already exists"):
        render(source=clip.path, destination=out, regions=lambda i: [])
    assert out.read_bytes() == b"an earlier copy"


def test_a_clip_without_audio_renders_without_audio(tmp_path):
    made = footage.make(tmp_path / "silent.mp4", seconds=1.0, audio=None)
    result = render(source=made.path, destination=tmp_path / "out.mp4", regions=lambda i: [(0, 0, 10, 10)])
    assert result.audio == "none" and result.frames == made.frames == result.frames_masked
    assert result.dropped_streams == ()


KILLED_RENDER = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    from ingest_server.redaction.render import render

    source, destination, marker = map(Path, sys.argv[1:4])

    def progress(frames):
        if frames == 30:
            marker.write_text("writing")
            threading.Event().wait(120)  # held mid-file until the test kills us

    render(source=source, destination=destination, regions=lambda i: [(0, 0, 50, 50)], progress=progress)
    """
)


def test_a_render_killed_mid_file_leaves_no_output_at_all(clip, tmp_path):
    out_dir = tmp_path / "derived"
    out_dir.mkdir()
    destination, marker = out_dir / "redacted.mp4", tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_RENDER, str(clip.path), str(destination), str(marker)], env=env
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, "the render exited before it was killed"
            assert time.monotonic() < deadline, "the render never reached frame 30"
            time.sleep(0.05)
        open_files = [os.readlink(f"/proc/{child.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{child.pid}/fd")]
        assert any(f.startswith(str(out_dir)) and f.endswith("(deleted)") for f in open_files), open_files
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert list(out_dir.iterdir()) == []


def test_a_file_that_is_not_video_is_refused_in_one_line_by_scan_and_render(tmp_path, detector):
    junk = tmp_path / "notes.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(RenderError, match="notes.mp4 cannot be read as video"):
        scan(source=junk, detector=detector)
    with pytest.raises(RenderError, match="notes.mp4 cannot be read as video"):
        render(source=junk, destination=tmp_path / "out.mp4", regions=lambda i: [])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.mp4"]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("block", 0, "block"),
        ("crf", 60, "crf"),
        ("preset", "turbo", "preset"),
        ("tone_hz", 5, "tone_hz"),
        ("fill_rgb", (0, 0, 300), "fill_rgb"),
    ],
)
def test_render_settings_out_of_range_are_refused_with_the_field_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        RenderSettings(**{field: value})


def test_a_second_audio_track_is_left_out_and_named(tmp_path):
    path = tmp_path / "two-audio.mp4"
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=30)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        sounds = [out.add_stream("aac", rate=footage.RATE) for _ in range(2)]
        for sound in sounds:
            sound.layout = "mono"
        for i in range(15):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 8, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for sound in sounds:
            for start in range(0, footage.RATE // 2, 1024):
                frame = av.AudioFrame.from_ndarray(
                    np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
                )
                frame.sample_rate, frame.pts = footage.RATE, start
                out.mux(sound.encode(frame))
            out.mux(sound.encode(None))
    result = render(source=path, destination=tmp_path / "out.mp4", regions=lambda i: [])
    assert result.dropped_streams == ("2:audio:aac",)
    with av.open(str(tmp_path / "out.mp4")) as copy:
        assert [s.type for s in copy.streams] == ["video", "audio"]


def test_a_manual_box_may_not_take_a_detected_tracks_id(clip, scanned, tmp_path):
    taken = manual_track(scanned.tracks[0].id, [(0, (0.0, 0.0, 10.0, 10.0))])
    with pytest.raises(ValueError, match="must be unique"):
        redact(
            source=clip.path,
            destination=tmp_path / "o.mp4",
            found=scanned,
            scan_settings=RELEASE,
            manual=[taken],
        )
    assert list(tmp_path.iterdir()) == []


def test_scan_reports_progress_for_every_frame_of_the_streams_own_total(clip, detector):
    seen = []
    scan(
        source=clip.path,
        detector=detector,
        settings=ScanSettings(step=30),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(n, clip.frames) for n in range(1, clip.frames + 1)]


@pytest.mark.parametrize("container", ["mp4", "mkv", "ts"])
def test_the_frame_total_is_the_streams_own_in_any_container(tmp_path, container):
    # MP4 states its count (the sample table); Matroska and MPEG-TS only a duration (× the rate)
    made = footage.make(tmp_path / f"clip.{container}", fps=15, seconds=2.0, audio=None)
    with av.open(str(made.path)) as src:
        assert expected_frames(src, src.streams.video[0]) == made.frames == 30


def _fine_detail(img, box, sigma):
    import cv2

    x1, y1, x2, y2 = box
    grey = cv2.cvtColor(np.ascontiguousarray(img[y1:y2, x1:x2]), cv2.COLOR_RGB2GRAY).astype(np.float64)
    return (grey - cv2.GaussianBlur(grey, (0, 0), sigma)).ravel()


@pytest.mark.parametrize("style", [*Style, None])
def test_every_style_removes_the_fine_detail_of_the_face(clip, style, tmp_path):
    """The face's detail finer than a mask cell no longer follows the original's (None: unmasked control)."""
    out = tmp_path / "styled.mp4"
    frame = 20
    box = tuple(int(v) for v in clip.truth[frame][0])
    regions = (lambda i: []) if style is None else (lambda i: [box])
    settings = RenderSettings() if style is None else RenderSettings(style=style)
    render(source=clip.path, destination=out, regions=regions, settings=settings)
    before = _fine_detail(video_frames(clip.path)[frame], box, sigma=1.5)  # detail finer than ~3 px
    after = _fine_detail(video_frames(out)[frame], box, sigma=1.5)
    follows = 0.0 if after.std() == 0 else float(np.corrcoef(before, after)[0, 1])
    print(f"\n{style}: fine detail correlation with the original {follows:.2f}")
    if style is None:
        assert follows > 0.8
    else:
        assert abs(follows) < 0.2


def test_detection_in_parallel_finds_exactly_what_one_thread_finds(clip, detector):
    one = scan(source=clip.path, detector=detector, settings=RELEASE, workers=1)
    two = scan(source=clip.path, detector=detector, settings=RELEASE, workers=2)
    assert list(two.detections) == list(one.detections) and two.detections == one.detections
    assert two.tracks == one.tracks
