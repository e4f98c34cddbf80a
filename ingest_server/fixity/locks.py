"""Fixity of the lock: does the store's Object Lock on a version still say what the
database says the store was told? A pure comparison; fixity/service.py reads both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

TOLERANCE_SECONDS = 1  # stores keep retain-until to the second


@dataclass(frozen=True)
class LockState:
    mode: str | None  # COMPLIANCE, GOVERNANCE, or None for no retention
    retain_until: datetime | None
    legal_hold: bool


def lock_drift(*, expected: LockState, stored: LockState) -> list[str]:
    """One line per way the store's lock differs from the database's (empty: none)."""
    problems = []
    if stored.mode != expected.mode:
        problems.append(f"lock mode differs: database {expected.mode}, store {stored.mode}")
    if expected.retain_until is not None:
        if stored.retain_until is None:
            problems.append(f"the store has no retain-until (database: {expected.retain_until.isoformat()})")
        else:
            gap = (stored.retain_until - expected.retain_until).total_seconds()
            if gap < -TOLERANCE_SECONDS:
                problems.append(
                    f"the store's lock is shorter than the decision: store retains until "
                    f"{stored.retain_until.isoformat()}, database {expected.retain_until.isoformat()}"
                )
            elif gap > TOLERANCE_SECONDS:
                problems.append(
                    f"the store's lock is longer than the database knows: store "
                    f"{stored.retain_until.isoformat()}, database {expected.retain_until.isoformat()}"
                )
    if stored.legal_hold != expected.legal_hold:
        problems.append(
            f"legal hold differs: database {'on' if expected.legal_hold else 'off'}, "
            f"store {'on' if stored.legal_hold else 'off'}"
        )
    return problems
