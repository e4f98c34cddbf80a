"""FastAPI dependencies as `Annotated` aliases: the session, the context, the caller.

`require(permission)` resolves the bearer token and checks the role table; it
records who the caller is on the request scope so the audit middleware can name
them, whatever the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from ingest_server.auth.roles import PERMISSIONS
from ingest_server.auth.service import Principal, principal_for_token
from ingest_server.auth.tokens import token_hash
from ingest_server.context import ServerContext

ACTOR_KEY = "evidence.actor"
AUTH_NOTE_KEY = "evidence.auth_note"


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
    principal = principal_for_token(session, token)
    session.rollback()  # end the read transaction: no lock held while the route works
    if principal is None:
        request.scope[ACTOR_KEY] = f"unknown-token:{token_hash(token)[:12]}"
        request.scope[AUTH_NOTE_KEY] = "unknown, revoked or disabled token"
        raise HTTPException(401, "invalid or revoked token", headers={"WWW-Authenticate": "Bearer"})
    request.scope[ACTOR_KEY] = principal.label
    request.state.principal = principal
    return principal


def require(permission: str):
    allowed = PERMISSIONS[permission]

    def guard(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            request.scope[AUTH_NOTE_KEY] = f"role {principal.role.value} lacks permission {permission}"
            raise HTTPException(403, f"forbidden: role '{principal.role.value}' may not {permission}")
        return principal

    return guard


DevicePrincipal = Annotated[Principal, Depends(require("upload"))]
SearchPrincipal = Annotated[Principal, Depends(require("clips.search"))]
ReadPrincipal = Annotated[Principal, Depends(require("clips.read"))]
DownloadPrincipal = Annotated[Principal, Depends(require("clips.download"))]
AuditPrincipal = Annotated[Principal, Depends(require("audit.read"))]
AdminPrincipal = Annotated[Principal, Depends(require("admin"))]
AnyPrincipal = Annotated[Principal, Depends(require("me"))]
