"""Listing a volume's clips by its profile, safely.

`iter_clips` walks the volume in sorted order without following symlinks and
yields only regular files the profile calls clips; symlinks, FIFOs, devices and
sockets are never yielded (the agent's own scanner reports them). Unreadable
folders are skipped; the caller may pass `on_error` to hear about them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from firmware_profiles.profile import Profile


def iter_clips(
    profile: Profile, root: Path, *, on_error: Callable[[OSError], None] | None = None
) -> Iterator[PurePosixPath]:
    root = Path(root)
    for folder, dirnames, filenames in os.walk(root, followlinks=False, onerror=on_error):
        dirnames.sort()
        base = Path(folder)
        for name in sorted(filenames):
            relpath = PurePosixPath((base / name).relative_to(root).as_posix())
            if not profile.is_clip(relpath):
                continue
            try:
                if stat.S_ISREG(os.lstat(base / name).st_mode):
                    yield relpath
            except OSError as exc:
                if on_error is not None:
                    on_error(exc)
