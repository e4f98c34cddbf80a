"""Signed receipts: proof, for the car, that the server holds these exact bytes.

The key is Ed25519, generated on first start (private key file mode 0600). A
receipt is the canonical JSON of its fields (sorted keys, no spaces) signed with
that key; anyone with the public key from GET /api/v1/receipt-key can verify it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ingest_server.private_files import private_dir


def canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


class KeyPermissionError(PermissionError):
    """The signing key can be read by others: refuse to start (said in one line)."""


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise KeyPermissionError(
                f"receipt signing key {path} is readable by others (mode {mode:o}); chmod 600"
            )
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not path.parent.exists():
        private_dir(path.parent)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return key


class ReceiptSigner:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]
        # what an agent is configured with at enrollment (no trust on first use)
        self.fingerprint = "sha256:" + hashlib.sha256(raw).hexdigest()
        self.public_key_pem = (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )

    def sign(self, receipt: dict) -> dict:
        signature = base64.b64encode(self._key.sign(canonical(receipt))).decode("ascii")
        return {"receipt": receipt, "signature": signature, "key_id": self.key_id}


def verify_receipt(public_key_pem: str, signed: dict) -> bool:
    """True when `signed["signature"]` is a valid signature of `signed["receipt"]`."""
    key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        key.verify(base64.b64decode(signed["signature"]), canonical(signed["receipt"]))
    except (InvalidSignature, ValueError, KeyError):
        return False
    return True
