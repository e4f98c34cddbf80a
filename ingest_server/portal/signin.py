"""Console sign-in and sessions, with the CJIS rules: 5 failed sign-ins lock the
account for 10 minutes; a session ends after 30 minutes without a request (and
after 12 hours whatever happens).

Sign in with username + password (scrypt, see passwords.py) or with the user's
bearer token. Every attempt, lock, sign-out and expiry is an audit event. The
session id lives only in the browser's cookie; the database keeps its SHA-256.
Keyword-only functions, session and time passed in, each commits its own change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.auth.models import User
from ingest_server.auth.permissions import Permission, may
from ingest_server.auth.roles import Role
from ingest_server.auth.service import Principal, principal_for_token
from ingest_server.auth.tokens import DEVICE_PREFIX, token_hash
from ingest_server.portal.models import PortalCredential, PortalSession
from ingest_server.portal.passwords import (
    DUMMY_HASH,
    check_strength,
    hash_password,
    needs_rehash,
    verify_password,
)

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
MAX_FAILURES = 5
LOCK = timedelta(minutes=10)
WRONG = "wrong username or password"
LOCKED_NOW = "too many failed sign-ins: the account is locked; try again in a few minutes"


@dataclass(frozen=True)
class SignIn:
    principal: Principal | None
    session_token: str | None = None
    message: str = ""


def principal_of(user: User) -> Principal:
    return Principal("user", user.id, user.username, Role(user.role), officer_id=user.officer_id)


def _credential(session: Session, user_id: str, now: datetime) -> PortalCredential:
    cred = session.get(PortalCredential, user_id)
    if cred is None:
        cred = PortalCredential(user_id=user_id, failed_count=0, changed_at=now)
        session.add(cred)
    return cred


def _audit(session, event_type, actor, outcome, source, now, **detail) -> None:
    audit.append(
        session=session,
        component="portal",
        event_type=event_type,
        actor=actor,
        outcome=outcome,
        object_type="user" if detail.get("user_id") else None,
        object_id=detail.get("user_id"),
        source=source,
        detail=detail,
        clock=lambda: now,
    )


def set_password(*, session: Session, username: str, password: str, actor: str, now: datetime) -> User:
    """Set (or replace) a user's console password and clear any lock. Audited; commits."""
    check_strength(password)
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise LookupError(f"no user {username!r}")
    cred = _credential(session, user.id, now)
    cred.password_hash, cred.failed_count, cred.locked_until, cred.changed_at = (
        hash_password(password),
        0,
        None,
        now,
    )
    # whoever knew the old password (or holds a session opened with it) is out
    ended = session.execute(
        update(PortalSession)
        .where(PortalSession.user_id == user.id, PortalSession.ended_at.is_(None))
        .values(ended_at=now, end_reason="password changed")
        .execution_options(synchronize_session=False)
    ).rowcount
    _audit(
        session,
        "portal.password_set",
        actor,
        "success",
        None,
        now,
        user_id=user.id,
        username=username,
        sessions_ended=ended,
    )
    session.commit()
    return user


def _locked(cred: PortalCredential, now: datetime) -> str | None:
    if cred.locked_until is not None and now < cred.locked_until:
        return f"too many failed sign-ins: the account is locked until {cred.locked_until:%H:%M:%S} UTC"
    return None


def _refusal(user: User, cred: PortalCredential, now: datetime) -> str | None:
    """Why a user who proved who they are may still not sign in, or None."""
    if user.disabled:
        return "this account is disabled"
    if not may(Role(user.role), Permission.CONSOLE_SIGN_IN):
        return "prosecutors review through share links: ask the evidence custodian for one"
    return _locked(cred, now)


def _claim_attempt(session: Session, user_id: str, now: datetime) -> int | None:
    """Count one password attempt *before* it is evaluated, atomically (one UPDATE ...
    RETURNING: a row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), so parallel guesses
    on any number of server processes get at most MAX_FAILURES evaluations before the
    lock. The attempt's number, or None when the account is locked or all its attempts
    are taken. Commits, so no lock is held while scrypt runs."""
    number = session.execute(
        update(PortalCredential)
        .where(
            PortalCredential.user_id == user_id,
            or_(PortalCredential.locked_until.is_(None), PortalCredential.locked_until <= now),
            PortalCredential.failed_count < MAX_FAILURES,
        )
        .values(failed_count=PortalCredential.failed_count + 1)
        .returning(PortalCredential.failed_count)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    session.commit()
    return number


def _fail(session, user: User, number: int, now, source, how: str) -> SignIn:
    """A wrong password: its attempt was already counted; the last allowed one locks."""
    detail = {"user_id": user.id, "username": user.username, "method": how, "failures": number}
    if number >= MAX_FAILURES:
        session.execute(
            update(PortalCredential)
            .where(PortalCredential.user_id == user.id)
            .values(failed_count=0, locked_until=now + LOCK)
            .execution_options(synchronize_session=False)
        )
        _audit(session, "portal.account_locked", f"user:{user.username}", "failure", source, now, **detail)
        message = (
            f"too many failed sign-ins: the account is locked for {int(LOCK.total_seconds() // 60)} minutes"
        )
    else:
        message = WRONG
    _audit(session, "portal.sign_in", f"user:{user.username}", "failure", source, now, **detail)
    session.commit()
    return SignIn(None, message=message)


def _deny(session, user: User, label: str, refusal: str, now, source, how: str) -> SignIn:
    _audit(
        session,
        "portal.sign_in",
        label,
        "denied",
        source,
        now,
        user_id=user.id,
        username=user.username,
        method=how,
        reason=refusal,
    )
    session.commit()
    return SignIn(None, message=refusal)


def _succeed(session, user: User, cred: PortalCredential, now, source, how: str) -> SignIn:
    session.execute(
        update(PortalCredential)
        .where(PortalCredential.user_id == user.id)
        .values(failed_count=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    raw = secrets.token_urlsafe(32)
    session.add(
        PortalSession(id_hash=token_hash(raw), user_id=user.id, created_at=now, last_seen=now, source=source)
    )
    _audit(
        session,
        "portal.sign_in",
        f"user:{user.username}",
        "success",
        source,
        now,
        user_id=user.id,
        username=user.username,
        method=how,
    )
    session.commit()
    return SignIn(principal_of(user), raw)


def sign_in_password(*, session: Session, username: str, password: str, now: datetime, source) -> SignIn:
    """Check a password. Nothing about the account (its role, that it is disabled) is told
    before the password is right; only a lock is told, since checking passwords during a
    lock would make the lock an oracle."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        verify_password(password, DUMMY_HASH)  # equal work whether or not the user exists
        _audit(
            session,
            "portal.sign_in",
            f"user:{username[:100]}",
            "failure",
            source,
            now,
            username=username[:100],
            method="password",
            reason="unknown user",
        )
        session.commit()
        return SignIn(None, message=WRONG)
    cred = _credential(session, user.id, now)
    try:
        session.commit()
    except IntegrityError:  # a parallel first attempt made the row
        session.rollback()
        cred = session.get(PortalCredential, user.id)
    label = f"user:{user.username}"
    locked = _locked(cred, now)
    if locked:
        return _deny(session, user, label, locked, now, source, "password")
    number = _claim_attempt(session, user.id, now)
    if number is None:  # locked meanwhile by parallel attempts
        session.refresh(cred)
        return _deny(session, user, label, _locked(cred, now) or LOCKED_NOW, now, source, "password")
    if not verify_password(password, cred.password_hash):
        return _fail(session, user, number, now, source, "password")
    refusal = _refusal(user, cred, now)
    if refusal:
        return _deny(session, user, label, refusal, now, source, "password")
    if needs_rehash(cred.password_hash):  # made with weaker parameters: rehash while we know it
        cred.password_hash = hash_password(password)
    return _succeed(session, user, cred, now, source, "password")


def sign_in_token(*, session: Session, token: str, now: datetime, source) -> SignIn:
    principal = None if token.startswith(DEVICE_PREFIX) else principal_for_token(session=session, token=token)
    if principal is None:
        _audit(
            session,
            "portal.sign_in",
            f"unknown-token:{token_hash(token)[:12]}",
            "failure",
            source,
            now,
            method="token",
            reason="unknown, revoked or device token",
        )
        session.commit()
        return SignIn(None, message="unknown or revoked token")
    user = session.get(User, principal.id)
    cred = _credential(session, user.id, now)
    refusal = _refusal(user, cred, now)
    if refusal:
        _audit(
            session,
            "portal.sign_in",
            principal.label,
            "denied",
            source,
            now,
            user_id=user.id,
            username=user.username,
            method="token",
            reason=refusal,
        )
        session.commit()
        return SignIn(None, message=refusal)
    return _succeed(session, user, cred, now, source, "token")


def resolve(*, session: Session, raw: str, now: datetime) -> tuple[Principal | None, str]:
    """The principal of a live session (its idle clock restarted), or None and why."""
    row = session.get(PortalSession, token_hash(raw))
    if row is None or row.ended_at is not None:
        return None, "please sign in"
    user = session.get(User, row.user_id)
    reason = None
    if now - row.last_seen > IDLE:
        reason = "idle"
    elif now - row.created_at > ABSOLUTE:
        reason = "too long"
    elif user is None or user.disabled or not may(Role(user.role), Permission.CONSOLE_SIGN_IN):
        reason = "account disabled"
    if reason:
        row.ended_at, row.end_reason = now, reason
        _audit(
            session,
            "portal.session_ended",
            f"user:{user.username if user else row.user_id}",
            "success",
            None,
            now,
            user_id=row.user_id,
            reason=reason,
        )
        session.commit()
        if reason == "idle":
            return None, f"your session ended after {int(IDLE.total_seconds() // 60)} minutes without use"
        return None, f"your session ended ({reason}): please sign in again"
    row.last_seen = now
    session.commit()
    return principal_of(user), ""


def sign_out(*, session: Session, raw: str, now: datetime) -> None:
    row = session.get(PortalSession, token_hash(raw))
    if row is None or row.ended_at is not None:
        return
    row.ended_at, row.end_reason = now, "signed out"
    user = session.get(User, row.user_id)
    label = f"user:{user.username}" if user else f"user-id:{row.user_id}"
    _audit(session, "portal.signed_out", label, "success", None, now, user_id=row.user_id)
    session.commit()
