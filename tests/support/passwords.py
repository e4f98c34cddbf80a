"""Console passwords for fixtures, each (username, password) hashed once per test session.

scrypt at the production parameters (ingest_server/portal/passwords.py) takes 0.2 to 0.7 s a
hash, and the portal fixtures set four passwords for every test. `set_password` is
`signin.set_password` (checks, lock cleared, sessions ended, audited) with the hash of the
same (username, password) reused: the same parameters and a salt per user, so within a
test's database nothing differs from a fresh hash. Tests about hashing itself call
`signin.set_password` or `hash_password` directly.
"""

from __future__ import annotations

from datetime import datetime
from unittest import mock

from ingest_server.portal import passwords, signin

_HASHES: dict[tuple[str, str], str] = {}


def set_password(*, session, username: str, password: str, actor: str, now: datetime):
    key = (username, password)
    if key not in _HASHES:
        _HASHES[key] = passwords.hash_password(password)
    with mock.patch.object(signin, "hash_password", lambda _password: _HASHES[key]):
        return signin.set_password(
            session=session, username=username, password=password, actor=actor, now=now
        )
