"""Checking the server's signed receipt: the one proof that lets the car let go of a clip.

A receipt is valid when its Ed25519 signature verifies with the server's key
over the canonical JSON of its body, and it names this clip's server id, its
exact SHA-256 and size. The key is pinned in the spool on first contact (or
configured), so a different server cannot sign releases.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key


class ReceiptError(Exception):
    """A receipt that proves nothing: bad signature, or it names other bytes."""


def canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def load_key(pem: str | bytes) -> Ed25519PublicKey:
    key = load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ReceiptError("the server's receipt key is not an Ed25519 public key")
    return key


def pinned_key(path: Path, fetch) -> Ed25519PublicKey:
    """The pinned server key at `path`; on first use, `fetch()` gives the PEM and it is pinned."""
    if not path.exists():
        pem = fetch()
        load_key(pem)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(pem)
        tmp.replace(path)
    return load_key(path.read_bytes())


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
