"""Matching a docked volume or a V4L2 device to a profile: ordered rules over a whitelist of keys."""

from __future__ import annotations

import os

from firmware_profiles import V4L2Info, explain_volume_match, load_profiles, match_v4l2, match_volume
from tests.firmware_profiles.conftest import write_profile

DASHCAM = """
name = "acme-dash-uvc"
kind = "uvc"
description = "A UVC dashcam recognised by its V4L2 card name (test)."

[[match]]
device_name = "ACME Dash*"

[[match]]
usb_vendor = 0x1234
usb_product = 0x5678

[capture]
video_size = "1920x1080"
"""


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def test_marker_file_selects_the_family(tmp_path, builtin_profiles):
    touch(tmp_path / "SYSTEM" / "device.json")
    assert match_volume(tmp_path, builtin_profiles).name == "json-sidecar-bodycam"


def test_specific_profile_beats_the_generic_fallback(tmp_path, builtin_profiles):
    (tmp_path / "DCIM" / "100MEDIA").mkdir(parents=True)
    assert match_volume(tmp_path, builtin_profiles).name == "generic-dcim-bodycam"
    touch(tmp_path / "SETTINGS" / "UNIT.TXT")  # same volume, now also a csv-index camera's marker
    assert match_volume(tmp_path, builtin_profiles).name == "csv-index-bodycam"


def test_volume_label_matches_case_insensitively(tmp_path, builtin_profiles):
    assert match_volume(tmp_path, builtin_profiles, label="xmlcam_0042").name == "xml-gps-bodycam"
    assert match_volume(tmp_path, builtin_profiles, label="OTHER") is None
    (tmp_path / "VIDEO").mkdir()  # json family's second rule needs both the label and the folder
    assert match_volume(tmp_path, builtin_profiles, label="BWC-17").name == "json-sidecar-bodycam"
    assert match_volume(tmp_path, builtin_profiles, label=None) is None


def test_usb_ids_match_only_when_known(tmp_path, builtin_profiles):
    assert match_volume(tmp_path, builtin_profiles, usb_ids=(0x1D6B, 0x0104)).name == "csv-index-bodycam"
    assert match_volume(tmp_path, builtin_profiles, usb_ids=(0x1D6B, 0x0105)) is None
    assert match_volume(tmp_path, builtin_profiles, usb_ids=None) is None


def test_marker_behind_a_symlink_is_not_followed(tmp_path, builtin_profiles):
    elsewhere = tmp_path / "elsewhere"
    touch(elsewhere / "device.json")
    volume = tmp_path / "vol"
    volume.mkdir()
    os.symlink(elsewhere, volume / "SYSTEM")
    assert match_volume(volume, builtin_profiles) is None
    os.symlink(elsewhere / "device.json", volume / "DCIM")  # a symlink is not a marker either
    assert match_volume(volume, builtin_profiles) is None


def test_explain_names_the_rule(tmp_path, builtin_profiles):
    touch(tmp_path / "MEDIA" / "UNIT.XML")
    result = explain_volume_match(tmp_path, builtin_profiles)
    assert result.profile.name == "xml-gps-bodycam" and result.rule_index == 1
    assert result.explain() == "profile xml-gps-bodycam (rule 1: marker_file='MEDIA/UNIT.XML')"


def test_v4l2_by_name_usb_ids_and_generic_fallback(tmp_path):
    write_profile(tmp_path, "acme.toml", DASHCAM)
    profiles = load_profiles([tmp_path])
    by_name = V4L2Info(path="/dev/video2", name="ACME DashCam HD: ACME DashCam")
    assert match_v4l2(by_name, profiles).name == "acme-dash-uvc"
    by_ids = V4L2Info(path="/dev/video3", name="USB2.0 Camera", usb_vendor=0x1234, usb_product=0x5678)
    assert match_v4l2(by_ids, profiles).name == "acme-dash-uvc"
    other = V4L2Info(path="/dev/video4", name="Integrated Webcam", usb_vendor=0x0BDA, usb_product=0x58F4)
    assert match_v4l2(other, profiles).name == "generic-uvc-dashcam"
    assert match_v4l2(V4L2Info(path="rtsp://cam/stream", name="IP camera"), profiles) is None


def test_mass_storage_and_uvc_profiles_never_cross(tmp_path, builtin_profiles):
    (tmp_path / "DCIM").mkdir()
    assert match_volume(tmp_path, [p for p in builtin_profiles if p.kind == "uvc"]) is None
    info = V4L2Info(path="/dev/video0", name="x")
    assert match_v4l2(info, [p for p in builtin_profiles if p.kind == "mass_storage"]) is None


def test_later_folder_wins_a_tie(tmp_path, builtin_profiles):
    text = DASHCAM.replace("acme-dash-uvc", "site-dash")
    write_profile(tmp_path / "a", "acme.toml", DASHCAM)
    write_profile(tmp_path / "b", "site.toml", text)
    profiles = load_profiles([tmp_path / "a", tmp_path / "b"])
    assert match_v4l2(V4L2Info(path="/dev/video0", name="ACME Dash"), profiles).name == "site-dash"
