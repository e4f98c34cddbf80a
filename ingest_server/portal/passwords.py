"""Password hashing for console sign-in: scrypt with a per-user random salt.

Parameters: N = 2^14, r = 8, p = 5 — one of the equivalent scrypt settings in the
OWASP Password Storage Cheat Sheet (2^17/8/1, 2^16/8/2, 2^15/8/3, 2^14/8/5,
2^13/8/10). Of those it needs the least memory per evaluation (16 MiB), which
matters when many sign-ins run at once on a small server; the work is the same.
The stored form names its parameters (`scrypt$n$r$p$salt$hash`), so older hashes
(N = 2^14, p = 1) still verify and are rehashed at the next successful sign-in.
Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

N, R, P, LENGTH = 2**14, 8, 5, 32
MIN_LENGTH = 12


class WeakPasswordError(ValueError):
    pass


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"a password needs at least {MIN_LENGTH} characters, got {len(password)}")
    if password.strip() != password or not password.strip():
        raise WeakPasswordError("a password must not start or end with spaces")


def hash_password(password: str, *, n: int = N, p: int = P) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=R, p=p, dklen=LENGTH)
    return f"scrypt${n}${R}${p}${salt.hex()}${digest.hex()}"


def needs_rehash(stored: str | None) -> bool:
    """True when `stored` was made with less work than the current parameters."""
    try:
        _, n, r, p, _, _ = (stored or "").split("$")
        return int(n) * int(r) * int(p) < N * R * P
    except ValueError:
        return False


# For unknown users: verifying against it costs the same scrypt work as a real hash (the
# parameters are the current ones) and never succeeds. Its digest is random bytes rather
# than the scrypt of anything, so no scrypt runs when this module is imported (every
# `evidence-server` command and server start) nor at the first unknown-user sign-in.
DUMMY_HASH = f"scrypt${N}${R}${P}${secrets.token_hex(16)}${secrets.token_hex(LENGTH)}"


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
