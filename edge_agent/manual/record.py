"""A manual UVC recording (`evidence-agent record-uvc`): the service's journaled recorder, once.

It recovers what an interrupted run left in the device's spool folder, records
until `seconds` of media, an unplug or `stop` (through
`capture.journaling.start_journaled`, exactly as the service does), and yields
one summary per journaled segment.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from edge_agent.capture.journaling import start_journaled
from edge_agent.core.config import UvcDevice
from edge_agent.core.journal import Journal
from edge_agent.core.spool import Spool
from firmware_profiles import load_profiles


def record(
    spool_dir: Path, device: UvcDevice, *, seconds: float | None, stop: threading.Event, profile_dirs=()
) -> Iterator[dict]:
    """Record until `seconds`, an unplug or `stop`; yields one summary per journaled segment."""
    spool = Spool(spool_dir)
    with Journal(spool.root / "journal.sqlite") as journal:
        profiles = load_profiles(list(profile_dirs)) if device.profile else []
        recorder, journaled = start_journaled(
            device, journal=journal, spool=spool, profiles=profiles, stop=stop, max_seconds=seconds
        )
        while recorder.is_alive():
            recorder.join(0.5)  # the main thread must stay free to take signals
        for clip_id in journaled:
            row = journal.get(clip_id)
            yield {
                "clip_id": row.id,
                "path": row.spool_path,
                "sha256": row.sha256,
                "flags": row.flags,
                "state": row.state,
            }
