"""A receipt proves an upload only with a valid signature over these exact bytes."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from edge_agent.core.receipts import ReceiptError, load_key, pinned_key, verify_receipt
from edge_agent.core.server_trust import fingerprint

BODY = {
    "clip_id": "c1",
    "sha256": "ab" * 32,
    "size": 10,
    "object_key": "k",
    "version_id": "v",
    "stored_at": "2026-11-24T00:00:00+00:00",
    "device_id": "d",
}


def sign(key, body):
    data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return {"receipt": body, "signature": base64.b64encode(key.sign(data)).decode(), "key_id": "k1"}


def pem(key):
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture
def server_key():
    return Ed25519PrivateKey.generate()


def test_valid_receipt(server_key):
    body = verify_receipt(
        sign(server_key, BODY), load_key(pem(server_key)), clip_id="c1", sha256="ab" * 32, size=10
    )
    assert body == BODY


@pytest.mark.parametrize(("field", "value"), [("sha256", "cd" * 32), ("size", 11), ("clip_id", "c2")])
def test_receipt_for_other_bytes_is_refused(server_key, field, value):
    with pytest.raises(ReceiptError, match=field):
        verify_receipt(
            sign(server_key, {**BODY, field: value}),
            load_key(pem(server_key)),
            clip_id="c1",
            sha256="ab" * 32,
            size=10,
        )


def test_edited_receipt_or_other_key_is_refused(server_key):
    receipt = sign(server_key, BODY)
    receipt["receipt"] = {**BODY, "object_key": "elsewhere"}
    with pytest.raises(ReceiptError, match="signature"):
        verify_receipt(receipt, load_key(pem(server_key)), clip_id="c1", sha256="ab" * 32, size=10)
    impostor = Ed25519PrivateKey.generate()
    with pytest.raises(ReceiptError, match="signature"):
        verify_receipt(
            sign(impostor, BODY), load_key(pem(server_key)), clip_id="c1", sha256="ab" * 32, size=10
        )


def test_key_is_kept_after_first_use_when_its_fingerprint_is_the_enrolled_one(server_key, tmp_path):
    # issue 12: no trust on first use; the fingerprint given at enrollment decides
    path = tmp_path / "server-key.pem"
    calls = []
    enrolled = fingerprint(server_key.public_key())
    key = pinned_key(path, lambda: calls.append(1) or pem(server_key), expected_fingerprint=enrolled)
    again = pinned_key(path, lambda: pem(Ed25519PrivateKey.generate()), expected_fingerprint=enrolled)
    assert calls == [1]
    assert verify_receipt(sign(server_key, BODY), again, clip_id="c1", sha256="ab" * 32, size=10)
    assert key is not None
