"""Attempt limits shared by all server processes (sign-in per address, share-link
guessing per address), counted in the database.

An attempt is *claimed* before it is evaluated, with one atomic statement
(`UPDATE ... SET count = count + 1 WHERE count < max ... RETURNING count`): on
PostgreSQL the row lock makes concurrent claims queue and each re-reads the
count; on SQLite every transaction is `BEGIN IMMEDIATE`. So N parallel requests,
spread over any number of processes, get at most `max_attempts` evaluations per
window. An attempt that turns out good (the right password, a real share link)
is given back with `refund`. Where a few extra concurrent attempts do not matter
(guessing 256-bit share tokens), `blocked` only reads and `claim` records each
failure, so a valid link costs no write. The window is fixed: it starts at the first claim
after the previous one ended. Each claim commits at once, so no lock is held
across the slow part (scrypt, a store call). The clock is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ingest_server.ratelimit.models import RateLimit
from ingest_server.types import UTCDateTime


@dataclass(frozen=True)
class Rule:
    name: str
    max_attempts: int
    window: timedelta


SIGN_IN = Rule("sign-in", 20, timedelta(minutes=10))  # password spraying from one address
SHARE_GUESS = Rule("share-guess", 10, timedelta(minutes=10))  # unknown share links from one address


def _ensure_row(session: Session, rule: Rule, key: str, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(RateLimit)
        .values(rule=rule.name, key=key, window_start=now, count=0)
        .on_conflict_do_nothing(index_elements=["rule", "key"])
    )


def claim(*, session: Session, rule: Rule, key: str, now: datetime) -> int | None:
    """Take one attempt for `key`; None when granted, else the seconds until one is. Commits."""
    key = key[:200]
    _ensure_row(session, rule, key, now)
    cutoff = now - rule.window
    expired = RateLimit.window_start <= literal(cutoff, UTCDateTime)
    granted = session.execute(
        update(RateLimit)
        .where(
            RateLimit.rule == rule.name,
            RateLimit.key == key,
            or_(expired, RateLimit.count < rule.max_attempts),
        )
        .values(
            count=case((expired, 1), else_=RateLimit.count + 1),
            window_start=case((expired, literal(now, UTCDateTime)), else_=RateLimit.window_start),
        )
        .returning(RateLimit.count)
        .execution_options(synchronize_session=False)
    ).first()
    if granted is not None:
        session.commit()
        if granted[0] == 1:  # a new window: the time to forget addresses that went quiet
            forget_quiet(session=session, rule=rule, now=now)
        return None
    started = session.execute(
        select(RateLimit.window_start).where(RateLimit.rule == rule.name, RateLimit.key == key)
    ).scalar_one()
    session.commit()
    return max(1, int((started + rule.window - now).total_seconds()) + 1)


def blocked(*, session: Session, rule: Rule, key: str, now: datetime) -> int | None:
    """Seconds until `key` may try again, or None; reads only (for checks that are cheap to
    get wrong by a few concurrent attempts, like guessing 256-bit share tokens)."""
    started, count = session.execute(
        select(RateLimit.window_start, RateLimit.count).where(
            RateLimit.rule == rule.name, RateLimit.key == key[:200]
        )
    ).first() or (None, 0)
    if started is None or count < rule.max_attempts or started <= now - rule.window:
        return None
    return max(1, int((started + rule.window - now).total_seconds()) + 1)


def refund(*, session: Session, rule: Rule, key: str) -> None:
    """Give back an attempt that turned out good. Commits."""
    session.execute(
        update(RateLimit)
        .where(RateLimit.rule == rule.name, RateLimit.key == key[:200], RateLimit.count > 0)
        .values(count=RateLimit.count - 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def forget_quiet(*, session: Session, rule: Rule, now: datetime) -> int:
    """Delete the rows whose window ended (many addresses must not grow the table forever)."""
    gone = session.execute(
        delete(RateLimit)
        .where(RateLimit.rule == rule.name, RateLimit.window_start <= literal(now - rule.window, UTCDateTime))
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return gone
