"""Sidecar parsers and safe volume reads: one shape for JSON, XML and CSV rows; nothing unsafe is opened."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from firmware_profiles import SidecarError, SidecarSpec, get_profile, read_clip_metadata, read_volume_file
from firmware_profiles.sidecars import lookup, lookup_all, parse_csv_row, parse_json, parse_xml


def test_json_lookup_by_dotted_path():
    tree = parse_json(
        b'\xef\xbb\xbf{"officer": {"badge": 4711}, "event": true, "track": [{"t": 1}, {"t": 2}]}'
    )
    assert lookup(tree, "officer.badge") == "4711"
    assert lookup(tree, "event") == "true"
    assert lookup(tree, "officer.name") is None and lookup(tree, "officer") is None  # not a scalar
    assert [p["t"] for p in lookup_all(tree, "track")] == [1, 2]


def test_xml_attributes_text_repeats_and_namespaces():
    data = b"""<?xml version="1.0"?>
    <gpx xmlns="http://www.topografix.com/GPX/1/1"><unit serial="U9">body</unit>
      <trk><trkseg><trkpt lat="41.1" lon="-72.1"><time>2026-03-14T14:00:00Z</time></trkpt></trkseg>
           <trkseg><trkpt lat="41.2" lon="-72.2"><time>2026-03-14T14:00:01Z</time></trkpt>
                   <trkpt lat="41.3" lon="-72.3"><time>2026-03-14T14:00:02Z</time></trkpt>
           </trkseg></trk></gpx>"""
    tree = parse_xml(data)
    assert lookup(tree, "gpx.unit.@serial") == "U9" and lookup(tree, "gpx.unit") == "body"
    points = lookup_all(tree, "gpx.trk.trkseg.trkpt")  # segments are walked through
    assert [lookup(p, "@lat") for p in points] == ["41.1", "41.2", "41.3"]
    assert lookup(points[2], "time") == "2026-03-14T14:00:02Z"


def test_csv_row_by_clip_name():
    spec = SidecarSpec(
        name="index",
        format="csv_index",
        path="INDEX.CSV",
        key_column="file",
        delimiter=";",
        encoding="utf-8-sig",
    )
    data = "\ufefffile;officer\nCLIP1.MP4;B1\nclip2.mp4 ; B2 \n".encode()
    assert parse_csv_row(data, spec, "CLIP2.MP4") == {"file": "clip2.mp4", "officer": "B2"}
    with pytest.raises(SidecarError, match="no row for 'CLIP3.MP4'"):
        parse_csv_row(data, spec, "CLIP3.MP4")
    with pytest.raises(SidecarError, match=r"no column 'file'"):
        parse_csv_row(b"name;officer\n", spec, "CLIP1.MP4")


def test_read_volume_file_refuses_what_is_unsafe(tmp_path):
    (tmp_path / "big.json").write_bytes(b"x" * 2000)
    with pytest.raises(SidecarError, match="over the 1000-byte limit"):
        read_volume_file(tmp_path, PurePosixPath("big.json"), limit=1000)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "a.json").write_text("{}")
    (tmp_path / "vol").mkdir()
    (tmp_path / "vol" / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(SidecarError, match="not a folder"):
        read_volume_file(tmp_path / "vol", PurePosixPath("link/a.json"))
    with pytest.raises(SidecarError, match="missing"):
        read_volume_file(tmp_path / "vol", PurePosixPath("none/a.json"))


def test_clip_path_outside_the_volume_is_a_caller_error(builtin_profiles, tmp_path):
    profile = get_profile("json-sidecar-bodycam", builtin_profiles)
    with pytest.raises(ValueError, match="leaves the volume"):
        read_clip_metadata(profile, tmp_path, PurePosixPath("../etc/x.mp4"))


def test_a_day_index_is_parsed_once_and_reread_when_it_changes(builtin_profiles, tmp_path, monkeypatch):
    import os

    from firmware_profiles import sidecars

    calls = []
    real = sidecars.parse_csv_index
    monkeypatch.setattr(sidecars, "parse_csv_index", lambda data, spec: calls.append(1) or real(data, spec))
    profile = get_profile("csv-index-bodycam", builtin_profiles)
    day = tmp_path / "RECORD" / "2026-03-14"
    day.mkdir(parents=True)
    rows = [f"CLIP{n:05d}.MP4,B{n},2026-03-14 10:00:00,0,41.7,-72.6" for n in range(2000)]
    (day / "INDEX.CSV").write_text("file,officer,start,event,lat,lon\n" + "\n".join(rows) + "\n")
    os.utime(day / "INDEX.CSV", ns=(10**18, 10**18))  # written a while ago (2001): safe to cache
    officers = [
        read_clip_metadata(profile, tmp_path, PurePosixPath(f"RECORD/2026-03-14/CLIP{n:05d}.MP4")).officer_id
        for n in range(2000)
    ]
    assert officers == [f"B{n}" for n in range(2000)] and len(calls) == 1
    (day / "INDEX.CSV").write_text(
        "file,officer,start,event,lat,lon\nCLIP00001.MP4,B9,2026-03-14 10:00:00,1,,\n"
    )
    os.utime(day / "INDEX.CSV", ns=(10**18 + 1, 10**18 + 1))  # changed: a different mtime
    meta = read_clip_metadata(profile, tmp_path, PurePosixPath("RECORD/2026-03-14/CLIP00001.MP4"))
    assert (meta.officer_id, meta.event) == ("B9", True) and len(calls) == 2
    (day / "INDEX.CSV").write_text(
        "file,officer,start,event,lat,lon\nCLIP00001.MP4,B7,2026-03-14 10:00:00,1,,\n"
    )
    for _ in range(2):  # just written: same size, maybe the same mtime tick; never served stale
        meta = read_clip_metadata(profile, tmp_path, PurePosixPath("RECORD/2026-03-14/CLIP00001.MP4"))
        assert meta.officer_id == "B7"
    assert len(calls) == 4
    assert "1 GPS point(s) unreadable" in "\n".join(meta.warnings)
