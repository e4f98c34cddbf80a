"""The server's own completion check, on a store that does NOT refuse a part whose bytes
differ from its signed checksum. SeaweedFS refuses such a part (see test_uploads.py), so
this runs on moto's server, which accepts it (moto 5.2.5): the server must still refuse
to turn other bytes into evidence, whatever store an operator points it at."""

from __future__ import annotations

import hashlib

import pytest

from ingest_server.storage import StoredObject
from tests.ingest_server.helpers import MIB, clip_bytes, manifest_for, put_parts, register, upload
from tests.support.moto import moto_server


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto instead of the session's SeaweedFS, for this module only (see the docstring)."""
    with moto_server() as endpoint:
        yield endpoint


def _versions(ctx, key):
    listed = ctx.storage.client.list_object_versions(Bucket=ctx.storage.bucket, Prefix=key)
    return listed.get("Versions", [])


def test_part_with_other_bytes_is_refused_naming_expected_and_actual(client, people, ctx):
    data = clip_bytes(5 * MIB + 4096)
    reg = register(client, people.auth("device"), data, part_size=5 * MIB).json()
    evil = bytearray(data[5 * MIB :])
    evil[0] ^= 0xFF
    etags = put_parts(reg, data, replace={2: bytes(evil)})  # moto accepts it despite the signed checksum
    refused = client.post(
        f"/api/v1/uploads/{reg['clip_id']}/complete", headers=people.auth("device"), json={"parts": etags}
    )
    assert refused.status_code == 409, refused.text
    answer = refused.json()
    assert answer["expected"]["composite"] == manifest_for(data, 5 * MIB).composite
    assert answer["actual"]["composite"] != answer["expected"]["composite"]
    assert answer["expected"]["size"] == answer["actual"]["size"] == len(data)
    assert "expected" in answer["detail"] and "actual" in answer["detail"]
    assert _versions(ctx, reg["object_key"]) == []  # the bad object version is gone: not evidence
    clip = client.get(f"/api/v1/clips/{reg['clip_id']}", headers=people.auth("custodian")).json()
    assert clip["state"] == "rejected"
    stored = client.get("/api/v1/clips", params={"state": "stored"}, headers=people.auth("custodian")).json()
    assert stored["total"] == 0
    events = client.get(
        "/api/v1/audit", params={"event_type": "clip.rejected"}, headers=people.auth("auditor")
    )
    assert events.json()["items"][0]["detail"]["expected"] == answer["expected"]

    # the agent registers again: same clip, a fresh upload, and this time the right bytes
    fresh = register(client, people.auth("device"), data, part_size=5 * MIB).json()
    assert fresh["clip_id"] == reg["clip_id"] and fresh["upload_id"] != reg["upload_id"]
    assert not any(p["present"] for p in fresh["parts"])
    done = client.post(
        f"/api/v1/uploads/{reg['clip_id']}/complete",
        headers=people.auth("device"),
        json={"parts": put_parts(fresh, data)},
    )
    assert done.status_code == 200 and done.json()["receipt"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_consistent_manifest_for_other_bytes_is_refused_at_complete(client, people, ctx):
    declared, sent = clip_bytes(2048, seed=1), clip_bytes(2048, seed=2)
    reg = register(client, people.auth("device"), declared).json()
    refused = client.post(
        f"/api/v1/uploads/{reg['clip_id']}/complete",
        headers=people.auth("device"),
        json={"parts": put_parts(reg, sent)},
    )
    assert refused.status_code == 409
    assert refused.json()["expected"]["composite"] == manifest_for(declared).composite
    assert refused.json()["actual"]["composite"] == manifest_for(sent).composite
    assert _versions(ctx, reg["object_key"]) == []


def test_rehash_mode_compares_whole_file_sha256(client, people, ctx):
    ctx.settings = ctx.settings.model_copy(update={"rehash_on_complete": True})
    declared, sent = clip_bytes(2048, seed=3), clip_bytes(2048, seed=4)
    reg = register(client, people.auth("device"), declared).json()
    refused = client.post(
        f"/api/v1/uploads/{reg['clip_id']}/complete",
        headers=people.auth("device"),
        json={"parts": put_parts(reg, sent)},
    )
    assert refused.status_code == 409
    assert refused.json()["expected"]["sha256"] == hashlib.sha256(declared).hexdigest()
    assert refused.json()["actual"]["sha256"] == hashlib.sha256(sent).hexdigest()
    _, receipt = upload(client, people.auth("device"), clip_bytes(999, seed=5))
    assert receipt["receipt"]["size"] == 999


def _complete(client, people, clip_id, etags):
    return client.post(
        f"/api/v1/uploads/{clip_id}/complete", headers=people.auth("device"), json={"parts": etags}
    )


def test_store_without_checksums_gets_a_full_rehash(client, people, ctx, monkeypatch):
    real_head = ctx.storage.head

    def head_without_checksum(key, version_id):
        stored = real_head(key, version_id)
        return StoredObject(size=stored.size, checksum_sha256=None, version_id=stored.version_id, metadata={})

    monkeypatch.setattr(ctx.storage, "head", head_without_checksum)
    data = clip_bytes(3000, seed=1)
    reg = register(client, people.auth("device"), data).json()
    done = _complete(client, people, reg["clip_id"], put_parts(reg, data))
    assert done.status_code == 200
    declared, sent = clip_bytes(3000, seed=2), clip_bytes(3000, seed=3)
    reg = register(client, people.auth("device"), declared).json()
    refused = _complete(client, people, reg["clip_id"], put_parts(reg, sent))
    assert refused.status_code == 409
    assert refused.json()["actual"]["sha256"] == hashlib.sha256(sent).hexdigest()
