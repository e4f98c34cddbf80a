"""Every API access becomes an audit event: who, what endpoint, which object, from
where, and the outcome (success, denied, unauthenticated, rejected, error).

A pure ASGI middleware. The event is appended in its own transaction (on a worker
thread) when the response starts, before any byte of it is sent: an access that
cannot be audited is refused with 503. A streamed download is recorded when it
starts, with the status it starts with.
"""

from __future__ import annotations

import logging

import anyio

from ingest_server.audit import redaction
from ingest_server.audit import service as audit

# what the edges (deps.py, portal/deps.py) record on the request scope for the audit event
ACTOR_KEY = "evidence.actor"
AUTH_NOTE_KEY = "evidence.auth_note"

UNAUDITED_PATHS = frozenset({"/api/v1/health"})  # liveness probes would drown the log
_JSON = [(b"content-type", b"application/json")]
_REFUSED = b'{"detail":"the audit log cannot be written; the request was refused"}'
log = logging.getLogger(__name__)


def outcome_for(status: int) -> str:
    if status < 400:
        return "success"
    if status == 401:
        return "unauthenticated"
    if status == 403:
        return "denied"
    if status < 500:
        return "rejected"
    return "error"


class AuditMiddleware:
    """Records the access before the response leaves: if the audit log cannot be
    written, the caller gets 503 instead of the data (fail closed)."""

    def __init__(self, app, sessions_of) -> None:
        self.app = app
        self.sessions_of = sessions_of  # callable: scope -> sessionmaker (resolved lazily)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in UNAUDITED_PATHS:
            await self.app(scope, receive, send)
            return
        state = {"recorded": False, "refused": False}

        async def audited_send(message):
            if message["type"] == "http.response.start" and not state["recorded"]:
                state["recorded"] = True
                try:
                    await anyio.to_thread.run_sync(self._record, scope, message["status"])
                except Exception:
                    log.exception(
                        "audit log unavailable: refusing %s %s",
                        scope["method"],
                        redaction.path(scope["path"]),
                    )
                    state["refused"] = True
                    await send({"type": "http.response.start", "status": 503, "headers": _JSON})
                    await send({"type": "http.response.body", "body": _REFUSED})
                    return
            if not state["refused"]:
                await send(message)

        try:
            await self.app(scope, receive, audited_send)
        finally:
            if not state["recorded"]:  # the app failed before answering: the 500 is sent outside us
                await anyio.to_thread.run_sync(self._record, scope, 500)

    def _record(self, scope, status: int) -> None:
        route = scope.get("route")
        name = getattr(route, "name", None) or "unmatched"
        params = redaction.params(scope.get("path_params") or {}, scope["path"])
        object_id = next(iter(params.values()), None)
        detail = {"method": scope["method"], "path": redaction.path(scope["path"]), "status": status}
        if scope.get(AUTH_NOTE_KEY):
            detail["reason"] = scope[AUTH_NOTE_KEY]
        client = scope.get("client")
        with self.sessions_of(scope)() as session:
            audit.append(
                session=session,
                component="api",
                event_type=f"api.{name}",
                actor=scope.get(ACTOR_KEY, "anonymous"),
                outcome=outcome_for(status),
                object_type=None if object_id is None else "/".join(params),
                object_id=None if object_id is None else str(object_id)[:200],
                source=client[0] if client else None,
                detail=detail,
            )
            session.commit()
