"""Characters no field of this server accepts, refused before any handler sees them.

NUL cannot be stored by PostgreSQL (a request carrying one used to end in a 500,
or a 503 with no audit row when it was in the path); terminal control characters
and Unicode bidirectional overrides make an officer id, a serial or a reason read
differently on screen, in a CSV or in a terminal than what is stored. So the path,
the query string and form bodies (urlencoded and multipart) are checked here, in
one place, and a request carrying one gets a clear 400 naming where it was. The
audit middleware sits outside this one, so the refusal is audited like any other.
Tab, line feed and carriage return stay allowed (notes and reasons have lines).
JSON bodies are checked by their schemas (`schemas_common.text`).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from ingest_server.asgi_replies import refuse, replaying

# C0 controls but tab, LF, CR; DEL; C1 controls; bidi embeddings, overrides and isolates
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_FORMS = (b"application/x-www-form-urlencoded", b"multipart/form-data")


def forbidden_in(value: str) -> str | None:
    """The first forbidden character of `value`, as U+XXXX, or None."""
    found = FORBIDDEN.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def _decoded(raw: bytes, plus: bool) -> str:
    if plus:
        raw = raw.replace(b"+", b" ")
    return unquote_to_bytes(raw).decode("utf-8", "replace")


class InputGuardMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def _refuse(self, send, where: str, char: str) -> None:
        await refuse(send, 400, f"the {where} contains the control character {char}, which is not accepted")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for where, text in (
            ("path", scope["path"]),
            ("query string", _decoded(scope.get("query_string", b""), plus=True)),
        ):
            char = forbidden_in(text)
            if char:
                await self._refuse(send, where, char)
                return
        kind = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if kind not in _FORMS:
            await self.app(scope, receive, send)
            return
        chunks, more = [], True  # bounded: the body size limit runs outside this middleware
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        text = _decoded(body, plus=True) if kind == _FORMS[0] else body.decode("utf-8", "replace")
        char = forbidden_in(text)
        if char:
            await self._refuse(send, "form", char)
            return
        await self.app(scope, replaying(body, receive), send)
