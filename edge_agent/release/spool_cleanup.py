"""Removing spool copies once the server's receipt is older than the grace period.

Only a receipted (or released) clip's spool copy and thumbnail go; sidecar
copies stay, as the server takes only what was read from them. The journal row
stays too, with `spool_removed_at`, and an event names the clip and its sha256.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timedelta

from edge_agent.core.clip_state import ClipState
from edge_agent.core.journal import Journal


def clean_spool(journal: Journal, *, grace: timedelta, now: Callable[[], datetime]) -> list[int]:
    """Remove spool copies whose receipt is older than `grace`. Returns the clip ids."""
    removed = []
    for row in journal.clips(ClipState.RECEIPTED, ClipState.RELEASED):
        if row.spool_removed_at or not row.receipt_json:
            continue
        stored_at = datetime.fromisoformat(json.loads(row.receipt_json)["receipt"]["stored_at"])
        if now() - stored_at < grace:
            continue
        # Sidecar copies stay: the server does not take sidecar files yet, only what was read from them.
        for p in filter(None, [row.spool_path, row.metadata.get("thumbnail")]):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        journal.transition(row.id, row.state, row.state, spool_removed_at=now().isoformat())
        journal.record_event(
            "spool_removed",
            f"clip {row.id}: spool copy removed, receipt for sha256 {row.sha256} is older than {grace}",
            row.spool_path,
        )
        removed.append(row.id)
    return removed
