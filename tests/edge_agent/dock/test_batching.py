"""The batching rule in a table: a clip goes only with every sidecar present, and only when all are quiet."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from edge_agent.dock.batching import ready_batch
from edge_agent.dock.scan import SourceFile


class Layout:
    """Clips are *.MP4; a clip's sidecar is the .GPS file of the same name."""

    def is_clip(self, relpath: PurePosixPath) -> bool:
        return relpath.suffix == ".MP4"

    def sidecars_for(self, relpath: PurePosixPath) -> list[PurePosixPath]:
        return [relpath.with_suffix(".GPS")]


def files(*names: str) -> list[SourceFile]:
    return [SourceFile(name.encode(), 10, 0, Path("/vol") / name) for name in names]


@pytest.mark.parametrize(
    ("present", "quiet", "batch", "ready", "waiting"),
    [
        # clip and its sidecar both quiet: both go
        (["A.MP4", "A.GPS"], ["A.MP4", "A.GPS"], ["A.MP4", "A.GPS"], 1, 0),
        # the sidecar is still being written: the clip waits for it
        (["A.MP4", "A.GPS"], ["A.MP4"], [], 0, 1),
        # no sidecar on the volume: the clip goes alone
        (["A.MP4"], ["A.MP4"], ["A.MP4"], 1, 0),
        # the clip is still being written: its quiet sidecar goes ahead, the clip waits
        (["A.MP4", "A.GPS"], ["A.GPS"], ["A.GPS"], 0, 1),
        # a quiet file that is no one's sidecar rides along; clips first, in scan order
        (["B.MP4", "LOG.TXT", "A.MP4"], ["LOG.TXT", "A.MP4", "B.MP4"], ["A.MP4", "B.MP4", "LOG.TXT"], 2, 0),
        # one clip ready, one waiting for its sidecar
        (["A.MP4", "B.MP4", "B.GPS"], ["A.MP4", "B.MP4"], ["A.MP4"], 1, 1),
        # nothing quiet yet
        (["A.MP4"], [], [], 0, 1),
    ],
)
def test_ready_batch(present, quiet, batch, ready, waiting):
    out = ready_batch(Layout(), files(*quiet), files(*present))
    assert [f.relpath for f in out.files] == batch
    assert (out.clips_ready, out.clips_waiting) == (ready, waiting)
