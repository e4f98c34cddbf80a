"""Small text files a camera keeps on its volume (serial number, clock).

`read_line_value` returns the rest of the first line that starts with a prefix,
read through `read_volume_file` (no symlinks, no special files, bounded size).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from firmware_profiles.sidecars import SidecarError, read_volume_file

MAX_VOLUME_FILE_BYTES = 64 * 1024


def read_line_value(root: Path, relpath: PurePosixPath, prefix: str = "") -> str:
    data = read_volume_file(root, relpath, limit=MAX_VOLUME_FILE_BYTES)
    text = data.decode("utf-8-sig", errors="replace")
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(prefix):
            value = line[len(prefix) :].strip()
            if value:
                return value
    raise SidecarError(f"no line starting with {prefix!r}" if prefix else "empty")
