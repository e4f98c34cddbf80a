"""Device facts from a fake /proc, /dev and /sys tree: label, USB ids, V4L2 name; then matching with them."""

from __future__ import annotations

import os

from firmware_profiles import (
    SystemPaths,
    match_v4l2,
    match_volume,
    mount_source,
    v4l2_info,
    volume_label,
    volume_usb_ids,
)


def fake_system(tmp_path, mount_point):
    dev = tmp_path / "dev"
    dev.mkdir()
    (dev / "sdb1").write_bytes(b"")
    by_label = dev / "disk" / "by-label"
    by_label.mkdir(parents=True)
    os.symlink("../../sdb1", by_label / "XMLCAM\\x20042")  # udev escapes a space as \x20
    usb = tmp_path / "sys" / "devices" / "usb1" / "1-1"
    part = usb / "1-1:1.0" / "host6" / "block" / "sdb" / "sdb1"
    part.mkdir(parents=True)
    (usb / "idVendor").write_text("1d6b\n")
    (usb / "idProduct").write_text("0104\n")
    sys_block = tmp_path / "sys" / "class" / "block"
    sys_block.mkdir(parents=True)
    os.symlink(part, sys_block / "sdb1")
    video = tmp_path / "sys" / "class" / "video4linux" / "video7"
    video.mkdir(parents=True)
    (video / "name").write_text("ACME DashCam HD\n")
    cam = tmp_path / "sys" / "devices" / "usb1" / "1-2"
    (cam / "1-2:1.0").mkdir(parents=True)
    (cam / "idVendor").write_text("0bda\n")
    (cam / "idProduct").write_text("58f4\n")
    os.symlink(cam / "1-2:1.0", video / "device")
    escaped = str(mount_point).replace(" ", "\\040")
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        f"99 22 8:17 / {escaped} rw,nosuid shared:50 - vfat {dev / 'sdb1'} rw,uid=1000\n"
    )
    return SystemPaths(
        mountinfo=mountinfo,
        by_label=by_label,
        sys_block=sys_block,
        sys_video=tmp_path / "sys" / "class" / "video4linux",
    )


def test_label_and_usb_ids_of_a_mounted_volume(tmp_path, builtin_profiles):
    mount_point = tmp_path / "media" / "XMLCAM 042"
    mount_point.mkdir(parents=True)
    paths = fake_system(tmp_path, mount_point)
    assert mount_source(mount_point, paths) == str(tmp_path / "dev" / "sdb1")
    assert volume_label(mount_point, paths) == "XMLCAM 042"
    assert volume_usb_ids(mount_point, paths) == (0x1D6B, 0x0104)
    label = volume_label(mount_point, paths)
    assert match_volume(mount_point, builtin_profiles, label=label).name == "xml-gps-bodycam"
    ids = volume_usb_ids(mount_point, paths)
    assert match_volume(mount_point, builtin_profiles, usb_ids=ids).name == "csv-index-bodycam"


def test_a_plain_folder_has_no_label_or_ids(tmp_path):
    paths = fake_system(tmp_path, tmp_path / "media" / "cam")
    folder = tmp_path / "just-a-folder"
    folder.mkdir()
    assert (mount_source(folder, paths), volume_label(folder, paths), volume_usb_ids(folder, paths)) == (
        None,
        None,
        None,
    )
    missing = SystemPaths(
        mountinfo=tmp_path / "nope", by_label=tmp_path / "nope", sys_block=tmp_path / "nope"
    )
    assert volume_label(folder, missing) is None and volume_usb_ids(folder, missing) is None


def test_v4l2_info_from_sysfs(tmp_path, builtin_profiles):
    paths = fake_system(tmp_path, tmp_path / "m")
    info = v4l2_info("/dev/video7", paths)
    assert (info.path, info.name, info.usb_vendor, info.usb_product) == (
        "/dev/video7",
        "ACME DashCam HD",
        0x0BDA,
        0x58F4,
    )
    assert match_v4l2(info, builtin_profiles).name == "generic-uvc-dashcam"
    unknown = v4l2_info("/dev/video9", paths)
    assert (unknown.name, unknown.usb_vendor) == ("", None)
