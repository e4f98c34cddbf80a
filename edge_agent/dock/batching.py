"""The batching rule: which of a volume's quiet files go to offload now.

A pure function of the profile, the files that are quiet and the files present:
a clip goes only with its sidecars, so it waits until every sidecar present is
quiet too; every quiet non-clip file (a sidecar, a log) rides along, so offload
can pair it with its clip. The counts are what the live status shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

from edge_agent.dock.scan import SourceFile


class ClipLayout(Protocol):
    def is_clip(self, relpath: PurePosixPath) -> bool: ...

    def sidecars_for(self, relpath: PurePosixPath) -> list[PurePosixPath]: ...


@dataclass(frozen=True)
class ReadyBatch:
    files: list[SourceFile]  # the clips ready now, then the quiet non-clip files
    clips_ready: int
    clips_waiting: int  # clips present that are not ready (still written, or a sidecar is)


def ready_batch(
    profile: ClipLayout, ready: Sequence[SourceFile], present: Sequence[SourceFile]
) -> ReadyBatch:
    """The offload batch for a volume whose quiet files are `ready` among all files `present`."""
    quiet = {f.posix for f in ready}
    present_paths = {f.posix for f in present}
    clips = [
        f
        for f in ready
        if profile.is_clip(f.posix)
        and all(p in quiet for p in profile.sidecars_for(f.posix) if p in present_paths)
    ]
    clip_paths = {f.posix for f in clips}
    waiting = sum(profile.is_clip(f.posix) and f.posix not in clip_paths for f in present)
    return ReadyBatch(clips + [f for f in ready if not profile.is_clip(f.posix)], len(clips), waiting)
