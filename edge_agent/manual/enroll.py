"""`evidence-agent enroll`: create the car's device key and give the server its public half.

Run once after `evidence-server enroll-device` wrote the device token: it creates
the Ed25519 key that signs the agent's custody events (core/device_key.py; an
existing key is kept, never replaced) and, with a server configured, registers
the public key with the device token (`PUT /api/v1/devices/me/key`). The server
keeps the first key it gets; a different one is refused until an administrator
runs `evidence-server reset-device-key`. `run` does the same on its first upload.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge_agent.core.config import AgentSettings
from edge_agent.core.device_key import key_path, load_or_create_key
from edge_agent.core.server_trust import tls_verify
from edge_agent.upload.loop import read_token
from edge_agent.upload.server_client import ServerClient


@dataclass(frozen=True)
class Enrolled:
    fingerprint: str
    path: str
    created: bool
    registered: dict | None  # the server's answer, None without a server


def enroll(settings: AgentSettings) -> Enrolled:
    """Create (or keep) the device key and register it; ServerError when the server refuses it."""
    path = key_path(settings.device_key_file, settings.device_token_file)
    key, created = load_or_create_key(path)
    answer = None
    if settings.server_url and settings.device_token_file:
        client = ServerClient(
            settings.server_url, read_token(settings.device_token_file), verify=tls_verify(settings.ca_file)
        )
        try:
            answer = client.put_device_key(key.public_pem)
        finally:
            client.close()
    return Enrolled(key.fingerprint, str(path), created, answer)
