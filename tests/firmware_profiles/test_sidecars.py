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
