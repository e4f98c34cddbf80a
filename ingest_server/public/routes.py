"""GET /public/...: the portal's files, to anyone, when the server enables it.

No sign-in, no cookie, no script. Every request is an audit event like any other
access (the audit middleware records it, actor "anonymous"); each address may
make `RATE` requests per `WINDOW` and is then refused with 429 and Retry-After.
The site is built once per change of the data (and of the day, which it carries).

The limiter is in memory, per server process: with several worker processes each
counts on its own (docs/public_portal.md, "Serving", says what to do instead).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from ingest_server.deps import ContextDep, SessionDep, source_address
from ingest_server.public import service, site
from ingest_server.shares.limiter import GuessLimiter

RATE, WINDOW = 300, timedelta(minutes=1)
HEADERS = {
    "Cache-Control": "public, max-age=300",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}
router = APIRouter(prefix="/public", tags=["public"], include_in_schema=False)
_lock = threading.Lock()


def _limiter(request: Request) -> GuessLimiter:
    state = request.app.state
    with _lock:
        if getattr(state, "public_limiter", None) is None:
            # The guessing limiter counts events per address in a window; here every request is one.
            state.public_limiter = GuessLimiter(max_failures=RATE, window=WINDOW, clock=state.ctx.clock)
    return state.public_limiter


def _plain(status: int, text: str, headers: dict | None = None) -> Response:
    return Response(
        text + "\n", status, media_type="text/plain; charset=utf-8", headers={**HEADERS, **(headers or {})}
    )


@router.get("/", name="public.index")
def index(request: Request, ctx: ContextDep, session: SessionDep) -> Response:
    return file(request, ctx, session, "index.html")


@router.get("/{path:path}", name="public.file")
def file(
    request: Request, ctx: ContextDep, session: SessionDep, path: Annotated[str, Path(max_length=300)]
) -> Response:
    if not ctx.settings.public_portal:
        return _plain(404, "the public portal is not enabled on this server")
    limiter = _limiter(request)
    source = source_address(request) or "unknown"
    wait = limiter.retry_after(source)
    if wait is not None:
        return _plain(
            429, f"too many requests from your address: wait {wait} seconds", {"Retry-After": str(wait)}
        )
    limiter.failed(source)  # counts this request
    built = service.current(holder=request.app.state, session=session, now=ctx.clock())
    body = built.files.get(path)
    if body is None:
        return _plain(404, f"no such page: /public/{path}")
    return Response(body, media_type=site.media_type(path), headers=HEADERS)
