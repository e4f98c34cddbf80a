"""The car's own Ed25519 key: it signs the agent's custody events (docs/custody_events.md).

Created once, at enrollment (`evidence-agent enroll`, or the first `run` that
uploads without one), in the agent's state folder next to the device token
(`device_key_file`, default `device-key.pem` beside `device_token_file`). The
private key is written with mode 0600 through O_EXCL and never leaves the car;
only the public key goes to the server (`PUT /api/v1/devices/me/key`), which
refuses a different key later unless an administrator resets it. A key file
readable by others is refused like a token file would be.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.core.server_trust import TrustError, fingerprint

KEY_NAME = "device-key.pem"


def canonical(data: dict) -> bytes:
    """The bytes a custody event's signature covers: JSON, keys sorted, no spaces, ASCII."""
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


class DeviceKey:
    """The private key in memory; `public_pem` and `fingerprint` are what the server records."""

    def __init__(self, key: Ed25519PrivateKey):
        self._key = key
        public = key.public_key()
        self.fingerprint = fingerprint(public)
        self.public_pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def sign(self, payload: dict) -> str:
        """Base64 Ed25519 signature over `canonical(payload)`."""
        return base64.b64encode(self._key.sign(canonical(payload))).decode("ascii")


def key_path(device_key_file: Path | None, device_token_file: Path | None) -> Path:
    if device_key_file is not None:
        return Path(device_key_file)
    if device_token_file is None:
        raise TrustError("no device_key_file and no device_token_file: nowhere to keep the device key")
    return Path(device_token_file).with_name(KEY_NAME)


def load_key(path: Path) -> DeviceKey:
    """The key at `path`; TrustError if others may read it or it is not an Ed25519 private key."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise TrustError(f"device key {path} is readable by others (mode {mode:o}): chmod 600 {path}")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TrustError(f"device key {path} is not an Ed25519 private key")
    return DeviceKey(key)


def load_or_create_key(path: Path) -> tuple[DeviceKey, bool]:
    """(the key, whether it was created now). Never replaces an existing key file."""
    path = Path(path)
    if path.exists():
        return load_key(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # two agents racing: one wins
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return DeviceKey(key), True
