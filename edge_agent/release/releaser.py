"""Which receipted clips to release now: the one place that decides when `release` runs.

A receipted clip is released when its camera is docked (matched by the device
serial the clip came from); otherwise it waits for that camera's next dock. A UVC
segment was recorded straight into the spool and has no camera copy: its release
only records that. The service (after every upload round and at every dock) and
a manual upload both call these steps; `camera_copy.release` does the checking
and the touching of the camera file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from edge_agent.core.clip_state import ClipState
from edge_agent.core.journal import ClipRow, Journal
from edge_agent.release.camera_copy import release


class Releaser:
    def __init__(
        self,
        journal: Journal,
        *,
        key: Callable[[], Any],
        docked: Callable[[], dict],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.journal = journal
        self._key = key  # the pinned receipt key, fetched on first use
        self._docked = docked  # {root: DockedVolume} of the volumes docked now
        self._now = now
        self._lock = threading.Lock()

    def release_if_possible(self, row: ClipRow) -> None:
        """Release a receipted clip now if its camera is docked; otherwise at its next dock."""
        with self._lock:
            row = self.journal.get(row.id)
            if row.state != ClipState.RECEIPTED:
                return
            if row.kind == "segment":
                self.journal.transition(
                    row.id,
                    ClipState.RECEIPTED,
                    ClipState.RELEASED,
                    released_at=self._now().isoformat(),
                    release_action="none: recorded into the spool, no camera copy",
                )
                return
            for volume in list(self._docked().values()):
                if volume.serial_key == row.device_serial:
                    release(
                        self.journal,
                        row,
                        volume_root=volume.root,
                        serial_key=volume.serial_key,
                        key=self._key(),
                        profile=volume.profile,
                        now=self._now,
                    )
                    return

    def release_receipted(self) -> None:
        """Every receipted clip whose camera is docked now."""
        for row in self.journal.clips(ClipState.RECEIPTED):
            self.release_if_possible(row)

    def on_docked(self, volume) -> None:
        """Clips receipted while this camera was away are released now."""
        for row in self.journal.clips(ClipState.RECEIPTED):
            if row.device_serial == volume.serial_key:
                self.release_if_possible(row)
