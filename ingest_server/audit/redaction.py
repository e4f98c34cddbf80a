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


def shown(raw: str) -> str:
    return raw if _SHOWN.match(raw) else f"sha256:{token_hash(raw)[:12]}"


def path(value: str) -> str:
    return _REVIEW.sub(lambda m: m.group(1) + shown(m.group(2)), value)


def params(value: dict, request_path: str) -> dict:
    if not request_path.startswith("/review/") or "token" not in value:
        return value
    return {**value, "token": shown(str(value["token"]))}
