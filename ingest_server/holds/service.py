"""Legal holds: place and release, audited. They flush, never commit: the
retention guard applies them (placing never shortens; releasing the last hold
does, so it waits for a second custodian)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.audit.source import audit_source
from ingest_server.holds.models import Hold
from ingest_server.refusals import Refused, Why


class HoldError(Refused):
    pass


def place(*, session: Session, clip_id: str, matter: str, reason: str, actor: str, now: datetime) -> Hold:
    hold = Hold(clip_id=clip_id, matter=matter, reason=reason, placed_by=actor, placed_at=now)
    session.add(hold)
    session.flush()
    audit.append(
        session=session,
        source=audit_source(),
        component="holds",
        event_type="hold.placed",
        actor=actor,
        outcome="success",
        object_type="clip",
        object_id=clip_id,
        detail={"hold_id": hold.id, "matter": matter, "reason": reason},
    )
    session.flush()
    return hold


def release(*, session: Session, hold_id: str, reason: str, actor: str, now: datetime) -> Hold:
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise HoldError(Why.NOT_FOUND, f"no hold {hold_id}")
    if hold.released_at is not None:
        raise HoldError(
            Why.CONFLICT, f"hold {hold_id} was already released on {hold.released_at.isoformat()}"
        )
    hold.released_at, hold.released_by, hold.release_reason = now, actor, reason
    audit.append(
        session=session,
        source=audit_source(),
        component="holds",
        event_type="hold.released",
        actor=actor,
        outcome="success",
        object_type="clip",
        object_id=hold.clip_id,
        detail={"hold_id": hold.id, "matter": hold.matter, "reason": reason},
    )
    session.flush()
    return hold


def for_clips(
    *, session: Session, clip_ids: Iterable[str], active_only: bool = False
) -> dict[str, list[Hold]]:
    ids = list(clip_ids)
    out: dict[str, list[Hold]] = {cid: [] for cid in ids}
    for start in range(0, len(ids), 500):
        query = select(Hold).where(Hold.clip_id.in_(ids[start : start + 500]))
        if active_only:
            query = query.where(Hold.released_at.is_(None))
        for hold in session.execute(query).scalars():
            out[hold.clip_id].append(hold)
    return out
