"""Secrets that travel in a URL never reach the audit log or the server's own logs.

A review link's token is in its path (`/review/<token>/...`). The review routes
rewrite it before their handlers run, but a request can end before that: a HEAD
from a link scanner, a POST or OPTIONS (405 from the router), a body that is too
large, a route that is not matched. So the audit middleware passes every path and
path parameter through here, whatever the method and the outcome: the token
becomes `sha256:<first 12 hex digits of its hash>`, the same form the share's
database row can be found by, and never the token itself.
"""

from __future__ import annotations

import re

from ingest_server.auth.tokens import token_hash

_REVIEW = re.compile(r"^(/review/)([^/]+)")
_SHOWN = re.compile(r"^sha256:[0-9a-f]{12}$")


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(value: str) -> str:
    """Control and bidi characters as visible escapes: the audit must store what was asked
    (PostgreSQL refuses NUL, so an unescaped one lost the audit row of that request)."""
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", value
    )


def shown(raw: str) -> str:
    return raw if _SHOWN.match(raw) else f"sha256:{token_hash(raw)[:12]}"


def path(value: str) -> str:
    return printable(_REVIEW.sub(lambda m: m.group(1) + shown(m.group(2)), value))


def params(value: dict, request_path: str) -> dict:
    if request_path.startswith("/review/") and "token" in value:
        value = {**value, "token": shown(str(value["token"]))}
    return {k: printable(str(v)) for k, v in value.items()}
