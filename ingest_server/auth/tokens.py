"""Bearer tokens: 256 random bits, shown once, stored as SHA-256 (high entropy, so no slow KDF needed)."""

from __future__ import annotations

import hashlib
import secrets

USER_PREFIX = "evu_"
DEVICE_PREFIX = "evd_"


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
