"""Loading profiles: the shipped ones, extra folders, overrides, and adding a camera model as a TOML file."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from firmware_profiles import (
    BUILTIN_DIR,
    ProfileError,
    get_profile,
    load_profiles,
    match_volume,
    read_clip_metadata,
    read_volume_info,
)
from tests.firmware_profiles.conftest import NOW, small_volume, write_profile

SHIPPED = {
    "generic-dcim-bodycam",
    "generic-uvc-dashcam",
    "json-sidecar-bodycam",
    "csv-index-bodycam",
    "xml-gps-bodycam",
}

NEW_MODEL = """
name = "traffic-unit-7"
kind = "mass_storage"
description = "A camera model added by a site as one TOML file (test)."
release = "move"
release_move_to = "DONE"

[[match]]
marker_file = "TRAFFIC/UNIT.ID"

[clips]
globs = ["TRAFFIC/*/*.avc.mp4"]

[[clips.sidecars]]
name = "info"
format = "json"
path = "{stem}.info"

[filename]
pattern = '^(?P<badge>\\d{4})-(?P<start>\\d{12})(?P<evt>!?)\\.avc\\.mp4$'
template = "{badge}-{start}{evt}.avc.mp4"
folder = "TRAFFIC/{when:%y%m}"

[metadata.officer_id]
source = "filename"
key = "badge"

[metadata.camera_start]
source = "filename"
key = "start"
format = "%y%m%d%H%M%S"
timezone = "Europe/Berlin"

[metadata.event]
source = "filename"
key = "evt"
true_values = ["!"]

[metadata.device_serial]
source = "volume_file"
path = "TRAFFIC/UNIT.ID"
prefix = "unit:"

[metadata.extra.vehicle_id]
source = "sidecar"
key = "car.plate"

[clock]
file = "TRAFFIC/NOW"
format = "epoch_ms"
"""


def test_every_shipped_profile_loads_and_validates(builtin_profiles):
    names = {p.name for p in builtin_profiles}
    assert names >= SHIPPED
    assert {p.source_file for p in builtin_profiles} == {str(p) for p in BUILTIN_DIR.glob("*.toml")}
    for profile in builtin_profiles:
        assert profile.description
        if profile.kind == "mass_storage":
            assert profile.clips is not None and profile.clock is not None, profile.name
    for name in ("json-sidecar-bodycam", "csv-index-bodycam", "xml-gps-bodycam"):
        # named for the layout, and honest that no vendor documents it
        assert "no vendor documents this format publicly" in get_profile(name, builtin_profiles).description


def test_generic_uvc_dashcam_capture_options(builtin_profiles):
    uvc = get_profile("generic-uvc-dashcam", builtin_profiles)
    assert uvc.kind == "uvc"
    cap = uvc.capture
    assert (cap.input_format, cap.device, cap.segment_seconds) == ("v4l2", "/dev/video0", 60)
    assert "frag_keyframe" in cap.movflags and "empty_moov" in cap.movflags
    assert (cap.width, cap.height) == (1280, 720)


def test_release_settings_are_read(builtin_profiles):
    csv = get_profile("csv-index-bodycam", builtin_profiles)
    assert (csv.release, csv.release_move_to, csv.release_full_rehash) == ("move", "RECORD/OFFLOADED", False)
    assert get_profile("json-sidecar-bodycam", builtin_profiles).release == "delete"
    assert get_profile("generic-dcim-bodycam", builtin_profiles).release == "keep"


def test_adding_a_camera_model_is_adding_a_toml_file(tmp_path):
    extra = tmp_path / "site-profiles"
    write_profile(extra, "traffic-unit-7.toml", NEW_MODEL)
    profiles = load_profiles([extra])
    model = get_profile("traffic-unit-7", profiles)
    assert model.source_file == str(extra / "traffic-unit-7.toml")

    volume = small_volume(model, tmp_path / "vol", clips=2, clock_offset=42.0, officer_id="0815")
    assert match_volume(volume.root, profiles) is model
    assert match_volume(tmp_path / "vol", load_profiles()) is None  # unknown without the extra folder
    info = read_volume_info(model, volume.root)
    assert info.device_serial == volume.device_serial
    assert (info.camera_clock - NOW).total_seconds() == 42.0
    second = volume.clips[1]
    assert second.relpath.parts[0] == "TRAFFIC" and second.relpath.name.endswith("!.avc.mp4")
    meta = read_clip_metadata(model, volume.root, second.relpath)
    assert meta.warnings == []
    assert (meta.officer_id, meta.event, meta.camera_start) == ("0815", True, second.camera_start)
    assert str(meta.camera_start.tzinfo) == "Europe/Berlin"
    assert meta.extra == {"vehicle_id": "sim-vehicle_id"}
    assert meta.sidecars == [second.relpath.parent / (second.relpath.name[:-4] + ".info")]


def test_extra_folder_overrides_a_builtin_of_the_same_name(tmp_path):
    text = (
        (BUILTIN_DIR / "generic-dcim-bodycam.toml")
        .read_text()
        .replace('release = "keep"', 'release = "delete"')
    )
    write_profile(tmp_path / "site", "mine.toml", text)
    profiles = load_profiles([tmp_path / "site"])
    assert [p.name for p in profiles].count("generic-dcim-bodycam") == 1
    profile = get_profile("generic-dcim-bodycam", profiles)
    assert profile.release == "delete" and profile.source_file == str(tmp_path / "site" / "mine.toml")


def test_a_bad_file_in_an_extra_folder_names_file_and_field(tmp_path):
    write_profile(tmp_path / "site", "broken.toml", NEW_MODEL.replace("[clock]", "[clock]\nzone = 'UTC'"))
    with pytest.raises(ProfileError) as err:
        load_profiles([tmp_path / "site"])
    assert "broken.toml: field 'clock.zone': unknown field" in str(err.value)


def test_missing_extra_folder_and_unknown_name(tmp_path, builtin_profiles):
    with pytest.raises(ProfileError, match="profile folder does not exist"):
        load_profiles([tmp_path / "nope"])
    with pytest.raises(ProfileError, match=r"unknown profile 'axon-body-9' \(known: csv-index-bodycam, "):
        get_profile("axon-body-9", builtin_profiles)


def test_is_clip_and_sidecars_for(builtin_profiles):
    json_cam = get_profile("json-sidecar-bodycam", builtin_profiles)
    clip = PurePosixPath("VIDEO/20260314/SIM1_20260314T140000Z_0001.mp4")
    assert json_cam.is_clip(clip) and json_cam.is_clip(PurePosixPath("VIDEO/20260314/X.MP4"))  # FAT: any case
    assert not json_cam.is_clip(PurePosixPath("VIDEO/20260314/X.json"))
    assert not json_cam.is_clip(PurePosixPath("VIDEO/a/b/X.mp4"))
    assert json_cam.sidecars_for(clip) == [clip.with_suffix(".json")]
    csv_cam = get_profile("csv-index-bodycam", builtin_profiles)
    assert csv_cam.sidecars_for(PurePosixPath("RECORD/2026-03-14/CLIP00001.MP4")) == [
        PurePosixPath("RECORD/2026-03-14/INDEX.CSV")
    ]
    assert not csv_cam.is_clip(PurePosixPath("RECORD/OFFLOADED/CLIP00001.MP4"))


def test_a_site_overrides_only_what_it_sets_with_extends(tmp_path):
    site = tmp_path / "site"
    write_profile(
        site,
        "a-generic.toml",
        'name = "generic-dcim-bodycam"\nextends = "generic-dcim-bodycam"\nrelease = "delete"\n'
        '[metadata.camera_start]\ntimezone = "America/Chicago"\n',
    )
    write_profile(
        site,
        "b-derived.toml",
        'name = "dcim-with-badge"\nextends = "generic-dcim-bodycam"\n'
        'description = "Generic DCIM camera that writes the badge into BADGE.TXT (test)."\npriority = 0\n'
        '[[match]]\nmarker_file = "BADGE.TXT"\n'
        '[metadata.officer_id]\nsource = "volume_file"\npath = "BADGE.TXT"\n',
    )
    profiles = load_profiles([site])
    generic = get_profile("generic-dcim-bodycam", profiles)
    assert generic.release == "delete"
    start = generic.metadata.camera_start
    assert (start.timezone, start.key, start.format) == ("America/Chicago", "start", "%Y%m%d_%H%M%S")
    assert generic.clips.globs == ["DCIM/*/*.MP4", "DCIM/*/*.MOV"]  # inherited untouched
    derived = get_profile("dcim-with-badge", profiles)
    assert derived.release == "delete" and derived.metadata.camera_start.timezone == "America/Chicago"
    assert [r.marker_file for r in derived.match] == ["BADGE.TXT"]  # arrays are replaced, not appended

    volume = tmp_path / "vol"
    (volume / "DCIM" / "100MEDIA").mkdir(parents=True)
    (volume / "BADGE.TXT").write_text("B-314\n")
    assert match_volume(volume, profiles) is derived
    clip = PurePosixPath("DCIM/100MEDIA/20260314_100000_0001.MP4")
    meta = read_clip_metadata(derived, volume, clip)
    assert meta.officer_id == "B-314" and meta.camera_start.utcoffset().total_seconds() == -5 * 3600


def test_extends_needs_a_profile_loaded_before(tmp_path):
    write_profile(tmp_path / "site", "x.toml", 'name = "x-cam"\nextends = "y-cam"\n')
    with pytest.raises(ProfileError, match=r"x.toml: field 'extends': no profile 'y-cam' was loaded before"):
        load_profiles([tmp_path / "site"])
