"""One sweeper at a time across processes: a lease row in the database.

`acquire` is one conditional UPDATE (free, expired, or already ours), atomic on
SQLite and PostgreSQL alike; the holder renews it while it works and releases it
at the end. A process that dies leaves a lease that simply expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ingest_server.sweeper.models import Lease

SWEEP = "retention-sweep"


def acquire(*, session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """True if `holder` now holds the lease `name` until now + ttl."""
    for _ in range(2):
        result = session.execute(
            update(Lease)
            .where(
                Lease.name == name,
                or_(Lease.holder.is_(None), Lease.expires_at < now, Lease.holder == holder),
            )
            .values(holder=holder, expires_at=now + ttl)
        )
        session.commit()
        if result.rowcount == 1:
            return True
        if session.get(Lease, name) is not None:
            session.rollback()
            return False
        try:  # the row is missing (a wiped table): create it, free, then try again
            session.add(Lease(name=name, holder=None, expires_at=None))
            session.commit()
        except IntegrityError:
            session.rollback()
    return False


def release(*, session: Session, name: str, holder: str) -> None:
    session.execute(
        update(Lease).where(Lease.name == name, Lease.holder == holder).values(holder=None, expires_at=None)
    )
    session.commit()


def holder_of(*, session: Session, name: str) -> tuple[str | None, datetime | None]:
    row = session.execute(select(Lease.holder, Lease.expires_at).where(Lease.name == name)).one_or_none()
    session.rollback()
    return (row[0], row[1]) if row else (None, None)
