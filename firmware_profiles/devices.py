"""Facts about a docked device that matching can use: volume label, USB ids, V4L2 card name.

Linux exposes them without privileges: the mount table (/proc/self/mountinfo)
gives the block device behind a mount point, /dev/disk/by-label names its
label, and sysfs (/sys/class/block, /sys/class/video4linux) leads up to the USB
device's idVendor/idProduct. Each function returns None for what it cannot
find (a plain folder, a non-USB disk): matching then treats the fact as
unknown. The roots are parameters so tests use a fake tree.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from firmware_profiles.matcher import V4L2Info


@dataclass(frozen=True)
class SystemPaths:
    mountinfo: Path = Path("/proc/self/mountinfo")
    by_label: Path = Path("/dev/disk/by-label")
    sys_block: Path = Path("/sys/class/block")
    sys_video: Path = Path("/sys/class/video4linux")


SYSTEM = SystemPaths()


def _unescape_mount(text: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def _unescape_label(text: str) -> str:
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), text)


def mount_source(root: Path, paths: SystemPaths = SYSTEM) -> str | None:
    """The device mounted at `root` (e.g. '/dev/sdb1'), or None if `root` is not a mount point."""
    target = os.path.realpath(root)
    try:
        lines = paths.mountinfo.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    source = None
    for line in lines:  # later lines win: the most recent mount over a path is the visible one
        left, sep, right = line.partition(" - ")
        fields = left.split()
        if sep and len(fields) >= 5 and _unescape_mount(fields[4]) == target:
            parts = right.split()
            source = _unescape_mount(parts[1]) if len(parts) >= 2 else None
    return source


def volume_label(root: Path, paths: SystemPaths = SYSTEM) -> str | None:
    """The file-system label of the volume mounted at `root`."""
    source = mount_source(root, paths)
    if source is None or not paths.by_label.is_dir():
        return None
    device = os.path.realpath(source)
    for link in sorted(paths.by_label.iterdir()):
        if os.path.realpath(link) == device:
            return _unescape_label(link.name)
    return None


def _usb_ids_above(sys_device: Path) -> tuple[int, int] | None:
    current = Path(os.path.realpath(sys_device))
    for folder in (current, *current.parents):
        vendor, product = folder / "idVendor", folder / "idProduct"
        if vendor.is_file() and product.is_file():
            try:
                return int(vendor.read_text().strip(), 16), int(product.read_text().strip(), 16)
            except (OSError, ValueError):
                return None
    return None


def volume_usb_ids(root: Path, paths: SystemPaths = SYSTEM) -> tuple[int, int] | None:
    """(idVendor, idProduct) of the USB device behind the volume mounted at `root`."""
    source = mount_source(root, paths)
    if source is None:
        return None
    name = Path(os.path.realpath(source)).name
    block = paths.sys_block / name
    return _usb_ids_above(block) if block.exists() else None


def v4l2_info(device: str, paths: SystemPaths = SYSTEM) -> V4L2Info:
    """What sysfs says about a V4L2 node such as '/dev/video0' (name '' and no ids when unknown)."""
    node = paths.sys_video / Path(os.path.realpath(device)).name
    try:
        name = (node / "name").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        name = ""
    ids = _usb_ids_above(node / "device") if (node / "device").exists() else None
    return V4L2Info(
        path=device, name=name, usb_vendor=ids[0] if ids else None, usb_product=ids[1] if ids else None
    )
