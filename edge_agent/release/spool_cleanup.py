"""Removing spool copies once the server's receipt is older than the grace period.

Only a receipted (or released) clip's spool copy and thumbnail go, with the
sidecar copies its receipt lists by name and SHA-256 (core/sidecar_copies.py); a
sidecar the receipt does not cover (a receipt from a server that took no sidecars)
stays. The journal row stays too, with `spool_removed_at`, and an event names the
clip, its sha256 and the sidecars removed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timedelta

from edge_agent.core.clip_state import ClipState
from edge_agent.core.journal import Journal
from edge_agent.core.sidecar_copies import copies, covered_by_receipt


def clean_spool(journal: Journal, *, grace: timedelta, now: Callable[[], datetime]) -> list[int]:
    """Remove spool copies whose receipt is older than `grace`. Returns the clip ids."""
    removed = []
    for row in journal.clips(ClipState.RECEIPTED, ClipState.RELEASED):
        if row.spool_removed_at or not row.receipt_json:
            continue
        stored_at = datetime.fromisoformat(json.loads(row.receipt_json)["receipt"]["stored_at"])
        if now() - stored_at < grace:
            continue
        sidecars = covered_by_receipt(row)
        for p in filter(None, [row.spool_path, row.metadata.get("thumbnail"), *sidecars]):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        journal.transition(row.id, row.state, row.state, spool_removed_at=now().isoformat())
        kept = len(copies(row)) - len(sidecars)
        journal.record_event(
            "spool_removed",
            f"clip {row.id}: spool copy removed, receipt for sha256 {row.sha256} is older than {grace}"
            + (f"; {len(sidecars)} receipted sidecar copy(ies) removed" if sidecars else "")
            + (f"; {kept} sidecar copy(ies) not in the receipt kept" if kept else ""),
            row.spool_path,
        )
        removed.append(row.id)
    return removed
