"""JSON errors with clear messages, and the request body size limit.

Every error body is `{"detail": "<message>", ...}`. Validation errors keep the
per-field list under "errors" but lead with one readable sentence.
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError

from ingest_server.asgi_replies import refuse, replaying
from ingest_server.audit.redaction import path as redacted
from ingest_server.refusals import Why
from ingest_server.storage import StorageError

log = logging.getLogger(__name__)


# a service's refusal, as the HTTP edges (the JSON API and the portal) answer it
HTTP_STATUS: dict[Why, int] = {
    Why.NOT_FOUND: 404,
    Why.CONFLICT: 409,
    Why.INVALID: 422,
    Why.TOO_LARGE: 413,
    Why.FORBIDDEN: 403,
    Why.BROKEN: 500,
}


class ErrorOut(BaseModel):
    detail: str


def _where(loc) -> str:
    return ".".join(str(p) for p in loc if p != "body") or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in errors[:5])
        return JSONResponse({"detail": f"invalid request: {summary}", "errors": errors}, status_code=422)

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError):
        # a value the database cannot hold (an integer beyond 64 bits, text it refuses): the
        # input is wrong, not the server; nothing was written (the transaction rolled back)
        log.warning(
            "refused a value the database cannot store on %s: %s", redacted(request.url.path), exc.orig
        )
        return JSONResponse(
            {"detail": "a value in the request is out of the range the database can store"}, status_code=422
        )

    @app.exception_handler(StorageError)
    @app.exception_handler(ClientError)
    @app.exception_handler(BotoCoreError)
    async def _storage(request: Request, exc: Exception):
        log.error("storage failure on %s: %s", redacted(request.url.path), exc)
        return JSONResponse(
            {"detail": f"evidence store unavailable or refused the request: {exc}"}, status_code=502
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", redacted(request.url.path))
        return JSONResponse({"detail": "internal server error; the event was logged"}, status_code=500)


class BodyLimitMiddleware:
    """Refuse request bodies over `limit` bytes with 413, declared or streamed."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def _refuse(self, send, declared: str) -> None:
        await refuse(send, 413, f"request body too large: {declared} bytes, the limit is {self.limit}")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.limit:
                await self._refuse(send, length.decode("latin-1")[:20])
                return
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read up to the limit here, then replay.
        chunks, total, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            total += len(chunks[-1])
            more = message.get("more_body", False)
            if total > self.limit:
                await self._refuse(send, f"more than {total}")
                return
        await self.app(scope, replaying(b"".join(chunks), receive), send)
