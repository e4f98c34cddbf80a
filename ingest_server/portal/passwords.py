"""Password hashing for console sign-in: scrypt with a per-user random salt.

The stored form names its parameters (`scrypt$n$r$p$salt$hash`), so they can be
raised later without invalidating older hashes. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

N, R, P, LENGTH = 2**14, 8, 1, 32
MIN_LENGTH = 12


class WeakPasswordError(ValueError):
    pass


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"a password needs at least {MIN_LENGTH} characters, got {len(password)}")
    if password.strip() != password or not password.strip():
        raise WeakPasswordError("a password must not start or end with spaces")


def hash_password(password: str, *, n: int = N) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=R, p=P, dklen=LENGTH)
    return f"scrypt${n}${R}${P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected) // 2,
            maxmem=256 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), expected)
