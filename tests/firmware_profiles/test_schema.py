"""Profile schema strictness: every mistake in a TOML file is a ProfileError naming the file and the field."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from firmware_profiles import Profile, ProfileError, load_profile_file
from tests.firmware_profiles.conftest import write_profile

MINIMAL = """
name = "test-cam"
kind = "mass_storage"
description = "A camera written for this test."

[[match]]
marker_file = "CAM/ID.TXT"

[clips]
globs = ["CAM/*.mp4"]
"""


def load_text(tmp_path, text):
    return load_profile_file(write_profile(tmp_path, "cam.toml", text))


def test_minimal_profile_loads_and_keeps_its_source(tmp_path):
    profile = load_text(tmp_path, MINIMAL)
    assert profile.name == "test-cam"
    assert profile.release == "keep" and profile.release_full_rehash is True
    assert profile.source_file == str(tmp_path / "cam.toml")


def test_unknown_field_is_rejected_with_the_allowed_ones(tmp_path):
    with pytest.raises(ProfileError) as err:
        load_text(tmp_path, MINIMAL.replace('globs = ["CAM/*.mp4"]', 'globs = ["CAM/*.mp4"]\nglobz = ["x"]'))
    message = str(err.value)
    assert str(tmp_path / "cam.toml") in message
    assert "field 'clips.globz': unknown field" in message
    assert "allowed here: case_sensitive, globs, sidecars" in message
    assert err.value.field == "clips.globz"


def test_unknown_top_level_and_rule_keys_are_rejected(tmp_path):
    with pytest.raises(ProfileError, match=r"field 'relase': unknown field"):
        load_text(tmp_path, 'relase = "delete"\n' + MINIMAL)
    with pytest.raises(
        ProfileError, match=r"field 'match.0.serial': unknown field \(allowed here: device_name"
    ):
        load_text(tmp_path, MINIMAL.replace('marker_file = "CAM/ID.TXT"', 'serial = "X"'))


def test_unknown_field_inside_an_extra_value_names_the_path(tmp_path):
    text = MINIMAL + '\n[metadata.extra.vehicle]\nsource = "constant"\nvalue = "V1"\nvalu = "oops"\n'
    with pytest.raises(
        ProfileError, match=r"'metadata.extra.vehicle.valu': unknown field \(allowed here: key, path"
    ):
        load_text(tmp_path, text)


def test_bad_toml_names_the_file(tmp_path):
    with pytest.raises(ProfileError, match=r"cam.toml: not valid TOML"):
        load_text(tmp_path, MINIMAL + "\n[clips\n")


def test_missing_required_field(tmp_path):
    with pytest.raises(ProfileError, match=r"field 'kind': required but missing"):
        load_text(tmp_path, MINIMAL.replace('kind = "mass_storage"', ""))


@pytest.mark.parametrize(
    "change, message",
    [
        (('globs = ["CAM/*.mp4"]', 'globs = ["../*.mp4"]'), "must be relative to the volume root"),
        (
            ('marker_file = "CAM/ID.TXT"', 'device_name = "USB Camera*"'),
            "field 'match.0': \\['device_name'\\] cannot be used by a mass_storage",
        ),
        (
            ('marker_file = "CAM/ID.TXT"', "usb_vendor = 70000"),
            "'match.0.usb_vendor': Input should be less than or equal",
        ),
        (
            ('[[match]]\nmarker_file = "CAM/ID.TXT"', "match = []"),
            "field 'match': List should have at least 1 item",
        ),
        (('kind = "mass_storage"', 'kind = "usb"'), "field 'kind'"),
        (('name = "test-cam"', 'name = "Test Cam"'), "field 'name'"),
    ],
)
def test_invalid_values_are_named(tmp_path, change, message):
    with pytest.raises(ProfileError, match=message):
        load_text(tmp_path, MINIMAL.replace(*change))


def test_empty_match_rule_is_rejected(tmp_path):
    with pytest.raises(ProfileError, match="a match rule needs at least one key"):
        load_text(tmp_path, MINIMAL.replace('marker_file = "CAM/ID.TXT"', ""))


def test_filename_pattern_and_references_are_checked(tmp_path):
    bad_regex = MINIMAL + "\n[filename]\npattern = '(?P<x'\ntemplate = 'a.mp4'\n"
    with pytest.raises(ProfileError, match=r"field 'filename.pattern': not a valid regular expression"):
        load_text(tmp_path, bad_regex)
    unknown_group = MINIMAL + (
        "\n[filename]\npattern = '^(?P<officer>\\w+)\\.mp4$'\ntemplate = '{officer}.mp4'\n"
        '\n[metadata.camera_start]\nsource = "filename"\nkey = "start"\n'
    )
    with pytest.raises(
        ProfileError, match=r"field 'metadata.camera_start': file-name group 'start' is not in"
    ):
        load_text(tmp_path, unknown_group)
    template_field = (
        MINIMAL + "\n[filename]\npattern = '^(?P<officer>\\w+)\\.mp4$'\ntemplate = '{badge}.mp4'\n"
    )
    with pytest.raises(ProfileError, match=r"template uses \['badge'\], which are not groups of the pattern"):
        load_text(tmp_path, template_field)


def test_sidecar_references_and_paths_are_checked(tmp_path):
    no_sidecar = MINIMAL + '\n[metadata.officer_id]\nsource = "sidecar"\nkey = "officer"\n'
    with pytest.raises(
        ProfileError, match="field 'metadata.officer_id': reads a sidecar but clips.sidecars declares none"
    ):
        load_text(tmp_path, no_sidecar)
    sidecar = '\n[[clips.sidecars]]\nname = "meta"\nformat = "json"\npath = "{stem}.json"\n'
    wrong_name = (
        MINIMAL + sidecar + '\n[metadata.officer_id]\nsource = "sidecar"\nsidecar = "info"\nkey = "o"\n'
    )
    with pytest.raises(
        ProfileError, match=r"'metadata.officer_id': unknown sidecar 'info' \(declared: \['meta'\]\)"
    ):
        load_text(tmp_path, wrong_name)
    escaping = MINIMAL + sidecar.replace("{stem}.json", "../../{stem}.json")
    with pytest.raises(ProfileError, match="must stay inside the volume"):
        load_text(tmp_path, escaping)
    csv_without_key = MINIMAL + sidecar.replace('"json"', '"csv_index"')
    with pytest.raises(ProfileError, match="key_column is required for csv_index"):
        load_text(tmp_path, csv_without_key)


def test_time_zone_release_and_kind_rules(tmp_path):
    tz = MINIMAL + '\n[clock]\nfile = "CLOCK.TXT"\ntimezone = "America/Hartford"\n'
    with pytest.raises(ProfileError, match=r"field 'clock.timezone': unknown time zone 'America/Hartford'"):
        load_text(tmp_path, tz)
    with pytest.raises(ProfileError, match="field 'release_move_to': required for release='move'"):
        load_text(tmp_path, 'release = "move"\n' + MINIMAL)
    with pytest.raises(ProfileError, match=r"field 'capture': \[capture\] is only for uvc profiles"):
        load_text(tmp_path, MINIMAL + '\n[capture]\ndevice = "/dev/video0"\n')
    uvc = MINIMAL.replace('kind = "mass_storage"', 'kind = "uvc"').replace(
        'marker_file = "CAM/ID.TXT"', 'device_path = "/dev/video*"'
    )
    with pytest.raises(ProfileError, match=r"field 'capture': a uvc profile needs a \[capture\] table"):
        load_text(tmp_path, uvc)
    with pytest.raises(ProfileError, match=r"video_size '720p' must be WIDTHxHEIGHT"):
        load_text(tmp_path, uvc + '\n[capture]\nvideo_size = "720p"\n')


def _models(model: type[BaseModel], seen: set) -> None:
    if model in seen:
        return
    seen.add(model)
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                _models(ann, seen)
            stack.extend(typing.get_args(ann))


def test_every_field_has_a_title_and_a_description():
    models: set = set()
    _models(Profile, models)
    assert len(models) >= 10
    missing = [
        f"{m.__name__}.{name}"
        for m in models
        for name, f in m.model_fields.items()
        if not f.title or not f.description
    ]
    assert missing == []
    assert all(m.model_config.get("extra") == "forbid" for m in models)


def test_the_user_docs_describe_every_key():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "firmware_profiles.md").read_text()
    models: set = set()
    _models(Profile, models)
    undocumented = sorted({name for m in models for name in m.model_fields if f"`{name}`" not in docs})
    assert undocumented == []


def test_moved_clips_must_not_look_like_new_clips(tmp_path):
    text = 'release = "move"\nrelease_move_to = "CAM/DONE"\n' + MINIMAL.replace(
        '"CAM/*.mp4"', '"CAM/**/*.mp4"'
    )
    with pytest.raises(ProfileError, match=r"field 'release_move_to': clips moved to CAM/DONE/ would match"):
        load_text(tmp_path, text)
    assert load_text(tmp_path, 'release = "move"\nrelease_move_to = "DONE"\n' + MINIMAL).release == "move"
