"""Verify the audit chain end to end and name the first broken event.

Catches an edited row (its hash no longer matches its fields), a deleted row (a
gap in the sequence, or a chain head ahead of the last row), and a reordering (an
event whose prev_hash is not the hash of the event before it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.audit.models import GENESIS, AuditEvent, ChainHead
from ingest_server.audit.service import HASHED_FIELDS, event_hash


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} event(s) verified"
        return (
            f"audit chain BROKEN at event {self.broken_seq}: {self.reason} "
            f"({self.checked} verified before it)"
        )


def verify_chain(*, session: Session, batch: int = 1000) -> ChainReport:
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch))
    for event in rows.scalars():
        if event.seq != expected_seq:
            return ChainReport(
                False,
                checked,
                expected_seq,
                f"event {expected_seq} is missing (next stored event is {event.seq}): a row was deleted",
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                False,
                checked,
                event.seq,
                "prev_hash does not match the hash of the event before it: "
                "events were reordered, replaced or removed",
            )
        if event_hash({f: getattr(event, f) for f in HASHED_FIELDS}) != event.hash:
            return ChainReport(
                False, checked, event.seq, "stored hash does not match the event's fields: the row was edited"
            )
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = session.execute(select(ChainHead).where(ChainHead.id == 1)).scalar_one_or_none()
    if head is None:
        return ChainReport(False, checked, None, "the chain head row is missing")
    if head.seq != checked or head.hash != prev_hash:
        return ChainReport(
            False,
            checked,
            checked + 1,
            f"the chain head records {head.seq} event(s) but the log ends at {checked}: "
            "trailing events were deleted or the head was altered",
        )
    return ChainReport(True, checked)
