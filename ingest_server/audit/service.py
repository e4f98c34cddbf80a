"""Appending to the audit chain, and reading it.

`append` runs inside the caller's transaction, so a change and its audit event
commit together or not at all. The chain head row is locked first (FOR UPDATE on
PostgreSQL; SQLite transactions already hold the database write lock, see db.py),
so concurrent appends queue up behind each other and can never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingest_server.audit.models import AuditEvent, ChainHead
from ingest_server.types import utcnow

HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "component",
    "event_type",
    "actor",
    "outcome",
    "object_type",
    "object_id",
    "source",
    "detail",
    "prev_hash",
)


def format_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(values: dict) -> str:
    body = json.dumps(
        {k: values[k] for k in HASHED_FIELDS}, sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(body.encode("ascii")).hexdigest()


def append(
    *,
    session: Session,
    component: str,
    event_type: str,
    actor: str,
    outcome: str,
    object_type: str | None = None,
    object_id: str | None = None,
    source: str | None = None,
    detail: dict | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> AuditEvent:
    head = session.execute(select(ChainHead).where(ChainHead.id == 1).with_for_update()).scalar_one()
    values = {
        "seq": head.seq + 1,
        "occurred_at": format_time(clock()),
        "component": component,
        "event_type": event_type,
        "actor": actor,
        "outcome": outcome,
        "object_type": object_type,
        "object_id": object_id,
        "source": source,
        "detail": json.dumps(detail or {}, sort_keys=True, separators=(",", ":"), default=str),
        "prev_hash": head.hash,
    }
    event = AuditEvent(**values, hash=event_hash(values))
    session.add(event)
    head.seq, head.hash = event.seq, event.hash
    session.flush()
    return event


def search(
    *,
    session: Session,
    actor: str | None = None,
    event_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    offset: int,
) -> tuple[list[AuditEvent], int]:
    query = select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if event_type:
        query = query.where(AuditEvent.event_type == event_type)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    if since:
        query = query.where(AuditEvent.occurred_at >= format_time(since))
    if until:
        query = query.where(AuditEvent.occurred_at < format_time(until))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(AuditEvent.seq).limit(limit).offset(offset)).scalars().all()
    return list(rows), total
