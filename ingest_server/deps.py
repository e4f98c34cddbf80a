"""FastAPI dependencies as `Annotated` aliases: the session, the context, the caller.

`require(permission)` resolves the bearer token and checks the one authorization
table (auth/permissions.py), turning a denial into 403; it records who the caller
is (and why a denial) on the request scope so the audit middleware can name them,
whatever the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from ingest_server.audit.middleware import ACTOR_KEY, AUTH_NOTE_KEY
from ingest_server.auth import permissions
from ingest_server.auth.permissions import Permission
from ingest_server.auth.service import Principal, principal_for_token
from ingest_server.auth.tokens import token_hash
from ingest_server.context import ServerContext


def get_context(request: Request) -> ServerContext:
    return request.app.state.ctx


def get_session(request: Request) -> Iterator[Session]:
    session = request.app.state.ctx.sessions()
    try:
        yield session
    finally:
        session.close()


ContextDep = Annotated[ServerContext, Depends(get_context)]
# scope="function": the session closes (ending its transaction, releasing SQLite's
# write lock) as soon as the route returns, before the audit middleware appends.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def source_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(request: Request, session: SessionDep) -> Principal:
    token = _bearer(request)
    if token is None:
        request.scope[AUTH_NOTE_KEY] = "no bearer token"
        raise HTTPException(
            401,
            "authentication required: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = principal_for_token(session=session, token=token)
    session.rollback()  # end the read transaction: no lock held while the route works
    if principal is None:
        request.scope[ACTOR_KEY] = f"unknown-token:{token_hash(token)[:12]}"
        request.scope[AUTH_NOTE_KEY] = "unknown, revoked or disabled token"
        raise HTTPException(401, "invalid or revoked token", headers={"WWW-Authenticate": "Bearer"})
    request.scope[ACTOR_KEY] = principal.label
    request.state.principal = principal
    return principal


def require(permission: Permission, action: str | None = None):
    """A dependency: the caller, if the table lets their role have `permission`; 403 otherwise."""

    def guard(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        try:
            permissions.check(principal.role, permission, action=action)
        except permissions.Denied as denied:
            request.scope[AUTH_NOTE_KEY] = denied.note
            raise HTTPException(403, f"forbidden: {denied}") from denied
        return principal

    return guard


DevicePrincipal = Annotated[Principal, Depends(require(Permission.UPLOAD))]
SearchPrincipal = Annotated[Principal, Depends(require(Permission.CLIPS_SEARCH))]
ReadPrincipal = Annotated[Principal, Depends(require(Permission.CLIPS_READ))]
DownloadPrincipal = Annotated[Principal, Depends(require(Permission.CLIPS_DOWNLOAD))]
AuditPrincipal = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]
AdminPrincipal = Annotated[Principal, Depends(require(Permission.ADMIN))]
AnyPrincipal = Annotated[Principal, Depends(require(Permission.ME))]
# reports, links, holds, retention, fixity, sweeps, statistics
Reader = Annotated[Principal, Depends(require(Permission.RECORDS_READ))]
Writer = Annotated[Principal, Depends(require(Permission.RECORDS_CHANGE))]
Approver = Annotated[Principal, Depends(require(Permission.RETENTION_APPROVE))]
StatsReader = Annotated[Principal, Depends(require(Permission.STATS_READ))]
AlignmentDecider = Annotated[Principal, Depends(require(Permission.ALIGNMENT_DECIDE))]
