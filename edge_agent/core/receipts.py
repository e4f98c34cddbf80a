"""Checking the server's signed receipt: the one proof that lets the car let go of a clip.

A receipt is valid when its Ed25519 signature verifies with the server's key
over the canonical JSON of its body, and it names this clip's server id, its
exact SHA-256 and size. The key is either configured (`server_key_file`) or
fetched from the server and accepted only if its fingerprint is the one the car
was given at enrollment (`server_key_fingerprint`), then kept in the spool. There
is no trust on first use: a man in the middle at first contact cannot get his own
key pinned and sign releases of camera copies.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from edge_agent.core.server_trust import check_fingerprint, fingerprint


class ReceiptError(Exception):
    """A receipt that proves nothing: bad signature, or it names other bytes."""


def canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def load_key(pem: str | bytes) -> Ed25519PublicKey:
    key = load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ReceiptError("the server's receipt key is not an Ed25519 public key")
    return key


def _checked(key: Ed25519PublicKey, expected: str, where: str) -> Ed25519PublicKey:
    found = fingerprint(key)
    if found != expected:
        raise ReceiptError(
            f"the server's receipt key {where} has fingerprint {found}, not the {expected} this car was "
            "enrolled with: refusing it (another server, or a man in the middle)"
        )
    return key


def pinned_key(path: Path, fetch, *, expected_fingerprint: str) -> Ed25519PublicKey:
    """The server key kept at `path`; on first use `fetch()` gives the PEM, which is kept only if its
    fingerprint is `expected_fingerprint`. A kept key is re-checked each time it is loaded."""
    expected = check_fingerprint(expected_fingerprint)
    if not path.exists():
        pem = fetch()
        _checked(load_key(pem), expected, "the server sent")
        tmp = path.with_suffix(".tmp")
        tmp.write_text(pem)
        tmp.replace(path)
    return _checked(load_key(path.read_bytes()), expected, f"kept in {path}")


def server_key(settings, fetch) -> Ed25519PublicKey:
    """The key receipts must verify with: the configured key file, or the fetched key whose
    fingerprint matches the configured one (kept in the spool)."""
    if settings.server_key_file is not None:
        return load_key(Path(settings.server_key_file).read_bytes())
    return pinned_key(
        settings.spool_dir / "server-key.pem", fetch, expected_fingerprint=settings.server_key_fingerprint
    )


def verify_receipt(receipt: dict, key: Ed25519PublicKey, *, clip_id: str, sha256: str, size: int) -> dict:
    """Return the receipt body if it proves these exact bytes were stored; raise otherwise."""
    try:
        body = receipt["receipt"]
        signature = base64.b64decode(receipt["signature"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise ReceiptError(f"malformed receipt: {exc}") from exc
    try:
        key.verify(signature, canonical(body))
    except InvalidSignature as exc:
        raise ReceiptError("receipt signature does not verify with the server's key") from exc
    for field, want in (("clip_id", clip_id), ("sha256", sha256), ("size", size)):
        if body.get(field) != want:
            raise ReceiptError(f"receipt {field} is {body.get(field)!r}, expected {want!r}")
    return body
