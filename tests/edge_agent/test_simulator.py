"""The camera simulator: real decodable footage in a profile's layout, and the field's trouble on demand."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import av
import pytest

from edge_agent.simulator import encode_clip, simulate_camera, start_writing_clip
from firmware_profiles import get_profile, load_profiles, match_volume, read_clip_metadata, read_volume_info

NOW = datetime(2026, 11, 24, 21, 0, 0, tzinfo=UTC)
SMALL = {"width": 320, "height": 240, "fps": 15, "bitrate": 300_000, "now": lambda: NOW}


@pytest.fixture(scope="module")
def builtin():
    return load_profiles()


def decode(path):
    """(duration seconds, decoded video frames, codecs, size) of a clip, by decoding every frame."""
    with av.open(str(path)) as container:
        codecs = sorted(s.codec_context.name for s in container.streams)
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        return container.duration / 1e6, frames, codecs, (video.width, video.height)


def tree_hashes(root):
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                out[os.path.relpath(path, root)] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return out


def test_clips_decode_with_the_requested_duration_and_size(builtin, tmp_path):
    profile = get_profile("json-sidecar-bodycam", builtin)
    volume = simulate_camera(profile, tmp_path / "cam", clips=2, seconds=2.0, **SMALL)
    assert match_volume(volume.root, builtin) is profile
    for clip in volume.clips:
        duration, frames, codecs, size = decode(volume.root / clip.relpath)
        assert codecs == ["aac", "h264"] and size == (320, 240)
        assert frames == 30 and duration == pytest.approx(2.0, abs=0.1)


def test_picture_moves_from_frame_to_frame(tmp_path):
    encode_clip(tmp_path / "a.mp4", 1.0, width=160, height=96, fps=10, bitrate=300_000)
    with av.open(str(tmp_path / "a.mp4")) as container:
        frames = [f.to_ndarray(format="gray") for f in container.decode(video=0)]
    diffs = [abs(frames[i + 1].astype(int) - frames[i].astype(int)).mean() for i in range(len(frames) - 1)]
    assert len(frames) == 10 and min(diffs) > 1.0


def test_bitrate_is_selectable(tmp_path):
    encode_clip(tmp_path / "low.mp4", 2.0, width=640, height=360, fps=15, bitrate=250_000)
    encode_clip(tmp_path / "high.mp4", 2.0, width=640, height=360, fps=15, bitrate=4_000_000)
    low, high = (tmp_path / "low.mp4").stat().st_size, (tmp_path / "high.mp4").stat().st_size
    assert high > 3 * low


def test_truncated_clip_fails_to_decode_fully(builtin, tmp_path):
    profile = get_profile("generic-dcim-bodycam", builtin)
    volume = simulate_camera(profile, tmp_path / "cam", clips=3, seconds=2.0, truncated=1, seed=3, **SMALL)
    broken = [c for c in volume.clips if c.truncated]
    assert len(broken) == 1
    for clip in volume.clips:
        path = volume.root / clip.relpath
        if clip.truncated:
            try:
                _, frames, _, _ = decode(path)
            except av.error.FFmpegError:
                continue  # no moov atom: not playable at all
            assert frames < 30
        else:
            assert decode(path)[1] == 30


def test_clock_file_gives_the_configured_offset(builtin, tmp_path):
    for name, offset in (("csv-index-bodycam", -125.0), ("xml-gps-bodycam", 7200.0)):
        profile = get_profile(name, builtin)
        volume = simulate_camera(profile, tmp_path / name, clips=1, seconds=0.5, clock_offset=offset, **SMALL)
        clock = read_volume_info(profile, volume.root).camera_clock
        assert clock == volume.camera_clock
        assert (clock - NOW).total_seconds() == offset


def test_same_seed_same_volume_other_seed_other_volume(builtin, tmp_path):
    profile = get_profile("xml-gps-bodycam", builtin)
    kw = {"clips": 3, "seconds": 1.0, "truncated": 1, **SMALL}
    a = tree_hashes(simulate_camera(profile, tmp_path / "a", seed=5, **kw).root)
    b = tree_hashes(simulate_camera(profile, tmp_path / "b", seed=5, **kw).root)
    c = tree_hashes(simulate_camera(profile, tmp_path / "c", seed=6, **kw).root)
    assert a == b and len(a) == 3 + 3 + 2  # clips, XML sidecars, clock file and marker
    assert a != c


def test_odd_names_survive_and_are_clips(builtin, tmp_path):
    profile = get_profile("json-sidecar-bodycam", builtin)
    volume = simulate_camera(profile, tmp_path / "cam", clips=1, seconds=0.5, odd_names=True, **SMALL)
    odd = [c.relpath for c in volume.clips if c.odd_name]
    names = [p.name for p in odd]
    assert (
        any(" " in n for n in names) and any("\n" in n for n in names) and any(not n.isascii() for n in names)
    )
    for relpath in odd:
        assert (volume.root / relpath).is_file() and profile.is_clip(relpath)
        assert decode(volume.root / relpath)[1] > 0
        meta = read_clip_metadata(
            profile, volume.root, relpath
        )  # sidecar values still read; name gives warning
        assert meta.officer_id == "B1234" and meta.device_serial is None and meta.warnings


def test_symlink_out_and_fifo(builtin, tmp_path):
    profile = get_profile("generic-dcim-bodycam", builtin)
    volume = simulate_camera(
        profile, tmp_path / "cam", clips=1, seconds=0.5, symlink_out=True, fifo=True, **SMALL
    )
    assert len(volume.symlinks) == 2 and len(volume.fifos) == 1
    root = os.path.realpath(volume.root)
    for link in volume.symlinks:
        path = volume.root / link
        assert path.is_symlink()
        assert not os.path.realpath(path).startswith(root + os.sep)  # points out of the volume
    assert profile.is_clip(volume.symlinks[0])  # named like a clip, to tempt a naive copier
    fifo = volume.root / volume.fifos[0]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and profile.is_clip(volume.fifos[0])


def test_uvc_profiles_are_not_volumes(builtin, tmp_path):
    with pytest.raises(ValueError, match="only mass_storage"):
        simulate_camera(get_profile("generic-uvc-dashcam", builtin), tmp_path, clips=1, seconds=1)


def test_a_clip_still_being_written_grows_until_stopped(tmp_path):
    stop = threading.Event()
    relpath = PurePosixPath("DCIM/100MEDIA/20260314_100000_0009.MP4")
    thread = start_writing_clip(tmp_path, relpath, 60.0, stop)
    path = tmp_path / relpath
    try:
        sizes = []
        waiter = threading.Event()
        for _ in range(200):  # until it has grown twice (bounded: 200 x 50 ms)
            size = path.stat().st_size if path.exists() else 0
            if not sizes or size > sizes[-1]:
                sizes.append(size)
            if len(sizes) >= 3:
                break
            waiter.wait(0.05)
        assert len(sizes) >= 3 and thread.is_alive()
        with pytest.raises(av.error.FFmpegError):
            decode(path)  # mid-recording: no moov atom yet
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert path.stat().st_size > sizes[-1]
    duration, frames, _, _ = decode(path)
    assert 0 < frames < 60 * 15 and duration < 60


def test_start_times_follow_each_other(builtin, tmp_path):
    profile = get_profile("csv-index-bodycam", builtin)
    start = datetime(2026, 7, 4, 23, 59, 0, tzinfo=UTC)
    volume = simulate_camera(profile, tmp_path / "cam", clips=4, seconds=2.0, start=start, **SMALL)
    starts = [c.camera_start for c in volume.clips]
    assert starts[0] == start and all(
        b - a >= timedelta(seconds=3) for a, b in zip(starts, starts[1:], strict=False)
    )
    assert volume.clips[1].event is True
    mtime = (volume.root / volume.clips[0].relpath).stat().st_mtime
    assert mtime == (start + timedelta(seconds=2)).timestamp()  # the camera closes the file at the end


def test_frame_size_must_suit_h264(tmp_path):
    with pytest.raises(ValueError, match="161x96: H.264 4:2:0 needs even sizes"):
        encode_clip(tmp_path / "a.mp4", 1.0, width=161, height=96)
