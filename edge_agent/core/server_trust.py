"""How the car trusts its server: the only party whose receipt lets it delete a
camera copy.

- **Transport.** `server_url` must be `https://`, except to a loopback address
  (a server on the same machine: tests, the demo). Plain HTTP to anything else
  would let whoever is on the path read the device token and answer for the
  server. `ca_file` names the CA bundle that signs the server's certificate when
  it is not a public CA (an agency PKI).
- **Receipt key, no trust on first use.** The server's receipt key fingerprint
  (`sha256:<hex of the SHA-256 of the raw Ed25519 public key>`) is printed by
  `evidence-server enroll-device` and must be in the agent's config
  (`server_key_fingerprint`), or the key itself (`server_key_file`). The key the
  server hands out is accepted only if its fingerprint matches; a man in the
  middle at first contact can no longer get his own key pinned.
- **Token file.** The device token file must not be readable by group or others.

Pure checks, each raising `TrustError` with one line saying what to change.
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
import stat
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class TrustError(ValueError):
    """A setting or file that would let someone else act as the server or as this car."""


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_server_url(url: str) -> str:
    """`url` if it is an https URL, or http to a loopback address; else TrustError."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TrustError(f"server_url {url!r} is not an http(s) URL such as https://evidence.example.org")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise TrustError(
            f"server_url {url!r} uses plain http to {parts.hostname}: use https:// "
            "(plain http is accepted only to a loopback address)"
        )
    return url.strip().rstrip("/")


def fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def check_fingerprint(value: str) -> str:
    value = value.strip().lower()
    digest = value.removeprefix("sha256:")
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise TrustError(
            f"server_key_fingerprint {value!r} is not 'sha256:' and 64 hex digits "
            "(evidence-server enroll-device prints it)"
        )
    return "sha256:" + digest


def check_token_file(path: Path) -> Path:
    """The token file, if only its owner may read it; else TrustError."""
    mode = stat.S_IMODE(Path(path).stat().st_mode)
    if mode & 0o077:
        raise TrustError(f"device token file {path} is readable by others (mode {mode:o}): chmod 600 {path}")
    return Path(path)


def tls_verify(ca_file: Path | None) -> ssl.SSLContext | bool:
    """What the HTTP client verifies the server's certificate with: the system's CAs, or ca_file."""
    if ca_file is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise TrustError(f"ca_file {ca_file}: not a readable CA bundle ({exc})") from exc
