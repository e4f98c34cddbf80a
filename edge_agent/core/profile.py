"""What the agent reads of a firmware profile, as a typed protocol.

`firmware_profiles.Profile` (a strict pydantic model) satisfies it, and so does
`dock.volume.AnyVideoProfile`, the stand-in for a folder no profile matches. The
agent reads these attributes directly, never with a default: a profile object
without `release` is an error, not a silent "keep".
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Literal, Protocol

ReleaseAction = Literal["delete", "keep", "move"]


class VolumeProfile(Protocol):
    """The parts of a camera profile the offload and release steps use."""

    @property
    def name(self) -> str: ...

    @property
    def release(self) -> ReleaseAction: ...

    @property
    def release_move_to(self) -> str | None: ...

    @property
    def release_full_rehash(self) -> bool: ...

    def is_clip(self, relpath: PurePosixPath) -> bool: ...

    def sidecars_for(self, relpath: PurePosixPath) -> list[PurePosixPath]: ...
