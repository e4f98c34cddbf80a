"""The signed-in console user as a dependency, role checks and the CSRF check.

The console's roles come from the server's permission table (auth/roles.py);
making and revoking shares is for custodians and admins only.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from ingest_server.auth.roles import PERMISSIONS, Role
from ingest_server.auth.service import Principal
from ingest_server.deps import ACTOR_KEY, AUTH_NOTE_KEY, ContextDep, SessionDep
from ingest_server.portal import signin
from ingest_server.portal.web import COOKIE, PortalError, SignInRequired, csrf_for

SHARE_ROLES = frozenset({Role.ADMIN, Role.CUSTODIAN})


def console_user(request: Request, ctx: ContextDep, session: SessionDep) -> Principal:
    raw = request.cookies.get(COOKIE)
    next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not raw:
        request.scope[AUTH_NOTE_KEY] = "no console session"
        raise SignInRequired("please sign in", next_path)
    principal, why = signin.resolve(session, raw=raw[:200], now=ctx.clock())
    if principal is None:
        request.scope[AUTH_NOTE_KEY] = f"console session refused: {why}"
        raise SignInRequired(why, next_path)
    request.scope[ACTOR_KEY] = principal.label
    request.state.principal = principal
    return principal


ConsoleUser = Annotated[Principal, Depends(console_user)]


def allow(request: Request, principal: Principal, permission: str) -> None:
    allowed = SHARE_ROLES if permission == "shares.manage" else PERMISSIONS[permission]
    if principal.role not in allowed:
        request.scope[AUTH_NOTE_KEY] = f"role {principal.role.value} lacks permission {permission}"
        raise PortalError(
            403, "Not allowed", f"Your role ({principal.role.value}) may not do this ({permission})."
        )


def check_csrf(request: Request, token: str) -> None:
    raw = request.cookies.get(COOKIE, "")
    if not raw or not hmac.compare_digest(csrf_for(raw), token or ""):
        request.scope[AUTH_NOTE_KEY] = "bad or missing form token (CSRF)"
        raise PortalError(
            403,
            "Form expired",
            "This form is stale or was not sent from the console. Reload the page and try again.",
        )
