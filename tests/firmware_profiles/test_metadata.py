"""Each camera family's metadata read from simulated volumes: officer, serial, start time with its zone,
event flag, GPS track, clock; a broken sidecar gives warnings, never an exception."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

import pytest

from firmware_profiles import get_profile, iter_clips, read_clip_metadata, read_volume_info
from tests.firmware_profiles.conftest import NOW, small_volume

START = datetime(2026, 3, 14, 14, 0, 0, tzinfo=UTC)  # after the US DST change: New York is UTC-4


@pytest.fixture(scope="module")
def volumes(builtin_profiles, tmp_path_factory):
    """One small volume per mass-storage family (shared by the read-only tests below)."""
    base = tmp_path_factory.mktemp("families")
    return {
        p.name: (
            p,
            small_volume(
                p,
                base / p.name,
                clips=3,
                seed=7,
                clock_offset=-93.0,
                officer_id="B4711",
                device_serial="CAM0042",
                start=START,
            ),
        )
        for p in builtin_profiles
        if p.kind == "mass_storage"
    }


@pytest.mark.parametrize(
    "name", ["generic-dcim-bodycam", "json-sidecar-bodycam", "csv-index-bodycam", "xml-gps-bodycam"]
)
def test_every_family_reads_back_what_the_camera_wrote(volumes, name):
    profile, volume = volumes[name]
    assert [str(c) for c in iter_clips(profile, volume.root)] == sorted(str(c.relpath) for c in volume.clips)
    for clip in volume.clips:
        meta = read_clip_metadata(profile, volume.root, clip.relpath)
        assert meta.warnings == [], meta.warnings
        assert meta.officer_id == clip.officer_id
        assert meta.device_serial == clip.device_serial
        assert meta.camera_start == clip.camera_start and meta.camera_start.tzinfo is not None
        assert meta.event == clip.event
        assert meta.gps == clip.gps
    assert read_volume_info(profile, volume.root).camera_clock == NOW - timedelta(seconds=93)


def test_json_sidecar_family(volumes):
    profile, volume = volumes["json-sidecar-bodycam"]
    clip = volume.clips[1]  # the simulator always flags the second clip as an event
    meta = read_clip_metadata(profile, volume.root, clip.relpath)
    assert (meta.officer_id, meta.device_serial, meta.event) == ("B4711", "CAM0042", True)
    assert meta.camera_start.utcoffset() == timedelta(0) and meta.camera_start > START
    assert len(meta.gps) == 1 and meta.gps[0][0] == meta.camera_start  # one fix per second of a 1 s clip
    assert 41 < meta.gps[0][1] < 42.5 and -73.5 < meta.gps[0][2] < -72
    assert meta.extra == {"firmware": "sim-firmware"}
    assert meta.sidecars == [clip.relpath.with_suffix(".json")]
    assert read_volume_info(profile, volume.root).device_serial == "CAM0042"  # from the first clip's name


def test_csv_index_family_uses_local_time(volumes):
    profile, volume = volumes["csv-index-bodycam"]
    first = read_clip_metadata(profile, volume.root, volume.clips[0].relpath)
    assert first.camera_start == START
    assert first.camera_start.utcoffset() == timedelta(hours=-4)  # written as local New York time
    assert first.camera_start.strftime("%H:%M") == "10:00"
    assert (first.officer_id, first.device_serial) == ("B4711", "CAM0042")
    assert len(first.gps) == 1 and first.gps[0][0] == START
    assert read_clip_metadata(profile, volume.root, volume.clips[1].relpath).event is True
    index = (volume.root / volume.clips[0].relpath).parent / "INDEX.CSV"
    assert index.read_text().splitlines()[0] == "file,officer,start,event,lat,lon"
    info = read_volume_info(profile, volume.root)
    assert info.device_serial == "CAM0042" and info.camera_clock.utcoffset() == timedelta(hours=-5)


def test_xml_family_reads_name_and_track(builtin_profiles, tmp_path):
    profile = get_profile("xml-gps-bodycam", builtin_profiles)
    volume = small_volume(profile, tmp_path / "v", clips=2, seconds=3.0, officer_id="TPR88", start=START)
    event_clip = volume.clips[1]
    assert event_clip.relpath.name.startswith("TPR88_") and event_clip.relpath.stem.endswith("_E")
    meta = read_clip_metadata(profile, volume.root, event_clip.relpath)
    assert (meta.officer_id, meta.event) == ("TPR88", True)
    assert meta.device_serial == volume.device_serial
    assert [p[0] - meta.camera_start for p in meta.gps] == [timedelta(seconds=s) for s in range(3)]
    assert read_clip_metadata(profile, volume.root, volume.clips[0].relpath).event is False


def _json_volume(builtin_profiles, tmp_path):
    profile = get_profile("json-sidecar-bodycam", builtin_profiles)
    volume = small_volume(profile, tmp_path / "v", clips=2, device_serial="CAM7")
    return profile, volume, volume.clips[0].relpath


def test_broken_json_sidecar_is_a_warning(builtin_profiles, tmp_path):
    profile, volume, clip = _json_volume(builtin_profiles, tmp_path)
    sidecar = volume.root / clip.with_suffix(".json")
    sidecar.write_bytes(sidecar.read_bytes()[:40])  # battery died while writing it
    meta = read_clip_metadata(profile, volume.root, clip)
    assert meta.device_serial == "CAM7"  # the file name still tells
    assert meta.officer_id is None and meta.camera_start is None and meta.gps == []
    assert len(meta.warnings) == 1 and "not valid JSON" in meta.warnings[0] and clip.stem in meta.warnings[0]
    assert meta.sidecars == [clip.with_suffix(".json")]  # still offloaded with its clip


def test_missing_symlinked_and_fifo_sidecars_are_warnings(builtin_profiles, tmp_path):
    profile, volume, clip = _json_volume(builtin_profiles, tmp_path)
    sidecar = volume.root / clip.with_suffix(".json")
    sidecar.unlink()
    meta = read_clip_metadata(profile, volume.root, clip)
    assert meta.warnings == [f"sidecar {clip.with_suffix('.json')}: missing"] and meta.sidecars == []
    os.symlink("/etc/hostname", sidecar)
    assert "symlink" in read_clip_metadata(profile, volume.root, clip).warnings[0]
    sidecar.unlink()
    os.mkfifo(sidecar)  # opening a FIFO for reading would block forever
    assert "not a regular file" in read_clip_metadata(profile, volume.root, clip).warnings[0]


def test_bad_values_in_a_sidecar_are_warnings(builtin_profiles, tmp_path):
    profile, volume, clip = _json_volume(builtin_profiles, tmp_path)
    sidecar = volume.root / clip.with_suffix(".json")
    text = sidecar.read_text().replace('"start": "2026', '"start": "yesterday 2026')
    sidecar.write_text(text.replace('"lat": 41.', '"lat": 141.').replace('"officer"', '"agent"'))
    meta = read_clip_metadata(profile, volume.root, clip)
    assert meta.camera_start is None and meta.officer_id is None and meta.gps == []
    joined = "\n".join(meta.warnings)
    assert "no value at 'officer.badge' for officer_id" in joined
    assert "does not fit format 'iso8601'" in joined
    assert "1 GPS point(s) unreadable, skipped" in joined


def test_broken_xml_and_xml_bombs_are_warnings(builtin_profiles, tmp_path):
    profile = get_profile("xml-gps-bodycam", builtin_profiles)
    volume = small_volume(profile, tmp_path / "v", clips=2)
    first, second = (c.relpath for c in volume.clips)
    (volume.root / first.with_suffix(".XML")).write_text("<clip><track><pt lat='1'")
    bomb = '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa">]><clip>&a;</clip>'
    (volume.root / second.with_suffix(".XML")).write_text(bomb)
    meta = read_clip_metadata(profile, volume.root, first)
    assert meta.officer_id == "B1234" and meta.gps == [] and "not valid XML" in meta.warnings[0]
    assert "entity declarations is refused" in read_clip_metadata(profile, volume.root, second).warnings[0]


def test_csv_index_without_the_clip_row(builtin_profiles, tmp_path):
    profile = get_profile("csv-index-bodycam", builtin_profiles)
    volume = small_volume(profile, tmp_path / "v", clips=2)
    clip = volume.clips[0].relpath
    index = volume.root / clip.parent / "INDEX.CSV"
    index.write_text("\n".join(line for line in index.read_text().splitlines() if clip.name not in line))
    meta = read_clip_metadata(profile, volume.root, clip)
    assert meta.officer_id is None and meta.device_serial == volume.device_serial
    assert meta.warnings == [f"sidecar {clip.parent}/INDEX.CSV: no row for {clip.name!r}"]


def test_clock_file_problems_are_warnings(builtin_profiles, tmp_path):
    profile = get_profile("generic-dcim-bodycam", builtin_profiles)
    volume = small_volume(profile, tmp_path / "v", clips=1, clock_offset=3600.0)
    assert read_volume_info(profile, volume.root).camera_clock == NOW + timedelta(hours=1)
    (volume.root / "CLOCK.TXT").write_text("25:99 o'clock\n")
    info = read_volume_info(profile, volume.root)
    assert info.camera_clock is None and "does not fit format" in info.warnings[0]
    (volume.root / "CLOCK.TXT").unlink()
    assert read_volume_info(profile, volume.root).warnings == ["CLOCK.TXT: missing"]


def test_name_that_does_not_fit_the_pattern(builtin_profiles, tmp_path):
    xml_cam = get_profile("xml-gps-bodycam", builtin_profiles)
    meta = read_clip_metadata(xml_cam, tmp_path, PurePosixPath("MEDIA/COPY OF B1_20260314-140000.MP4"))
    assert meta.officer_id is None and meta.camera_start is None
    assert "file name does not fit the profile's pattern" in meta.warnings[0]
    generic = get_profile("generic-dcim-bodycam", builtin_profiles)  # the fallback claims no naming scheme
    other = read_clip_metadata(generic, tmp_path, PurePosixPath("DCIM/100MEDIA/FILE0001.MP4"))
    assert other.camera_start is None and not any("pattern" in w for w in other.warnings)
    dated = read_clip_metadata(generic, tmp_path, PurePosixPath("DCIM/100MEDIA/20260314_100000_0001.mov"))
    assert dated.camera_start == START


@pytest.mark.parametrize("name", ["json-sidecar-bodycam", "csv-index-bodycam", "xml-gps-bodycam"])
def test_garbage_sidecars_never_raise(builtin_profiles, tmp_path, name):
    import random

    profile = get_profile(name, builtin_profiles)
    volume = small_volume(profile, tmp_path / "v", clips=1)
    clip = volume.clips[0].relpath
    sidecar = volume.root / profile.sidecars_for(clip)[0]
    good = sidecar.read_bytes()
    rng = random.Random(1)
    deep = {"json-sidecar-bodycam": b"[" * 100_000, "xml-gps-bodycam": b"<a>" * 100_000}.get(name, b"\0" * 10)
    samples = [b"", deep, bytes(rng.randrange(256) for _ in range(500)), good.replace(b"1", b"\xff")]
    for _ in range(150):  # flip, cut and duplicate bytes of the real sidecar
        data = bytearray(good)
        for _ in range(rng.randrange(1, 6)):
            i = rng.randrange(len(data))
            op = rng.randrange(3)
            if op == 0:
                data[i] = rng.randrange(256)
            elif op == 1:
                del data[i : i + rng.randrange(1, 40)]
            else:
                data[i:i] = data[i : i + rng.randrange(1, 40)]
        samples.append(bytes(data))
    for data in samples:
        sidecar.write_bytes(data)
        meta = read_clip_metadata(profile, volume.root, clip)
        assert not any("metadata reader failed" in w for w in meta.warnings), meta.warnings  # parsers cope
        assert all(-90 <= lat <= 90 and -180 <= lon <= 180 for _, lat, lon in meta.gps)


def test_a_reset_camera_clock_is_reported(builtin_profiles, tmp_path):
    profile = get_profile("xml-gps-bodycam", builtin_profiles)
    volume = small_volume(profile, tmp_path / "v", clips=1)
    (volume.root / "MEDIA" / "CLOCK.TXT").write_text("3600\n")  # one hour after 1970: the RTC battery died
    info = read_volume_info(profile, volume.root)
    assert info.camera_clock == datetime(1970, 1, 1, 1, 0, tzinfo=UTC)
    assert "its clock looks reset" in info.warnings[0]
