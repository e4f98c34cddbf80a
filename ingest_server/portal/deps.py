"""The signed-in console user as a dependency, role checks and the CSRF check.

Who may do what comes from the one authorization table (auth/permissions.py);
`allow` turns its denial into the portal's 403 error page.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from ingest_server.auth import permissions
from ingest_server.auth.permissions import Permission
from ingest_server.auth.service import Principal
from ingest_server.deps import ACTOR_KEY, AUTH_NOTE_KEY, ContextDep, SessionDep
from ingest_server.portal import signin
from ingest_server.portal.web import COOKIE, PortalError, SignInRequired, csrf_for


def console_user(request: Request, ctx: ContextDep, session: SessionDep) -> Principal:
    raw = request.cookies.get(COOKIE)
    next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not raw:
        request.scope[AUTH_NOTE_KEY] = "no console session"
        raise SignInRequired("please sign in", next_path)
    principal, why = signin.resolve(session=session, raw=raw[:200], now=ctx.clock())
    if principal is None:
        request.scope[AUTH_NOTE_KEY] = f"console session refused: {why}"
        raise SignInRequired(why, next_path)
    request.scope[ACTOR_KEY] = principal.label
    request.state.principal = principal
    return principal


ConsoleUser = Annotated[Principal, Depends(console_user)]


def allow(request: Request, principal: Principal, permission: Permission, action: str | None = None) -> None:
    """Go on if the table lets the user's role have `permission`; the 403 error page otherwise."""
    try:
        permissions.check(principal.role, permission, action=action)
    except permissions.Denied as denied:
        request.scope[AUTH_NOTE_KEY] = denied.note
        raise PortalError(
            403, "Not allowed", f"Your role ({principal.role.value}) may not {denied.action}."
        ) from denied


def check_csrf(request: Request, token: str) -> None:
    raw = request.cookies.get(COOKIE, "")
    # bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500)
    if not raw or not hmac.compare_digest(csrf_for(raw).encode(), (token or "").encode("utf-8", "replace")):
        request.scope[AUTH_NOTE_KEY] = "bad or missing form token (CSRF)"
        raise PortalError(
            403,
            "Form expired",
            "This form is stale or was not sent from the console. Reload the page and try again.",
        )
