"""The upload flow against the SeaweedFS test store: register, presigned part PUTs, complete,
verification by the server, Object Lock, signed receipts, idempotency, tampering."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import httpx

from ingest_server.receipts import verify_receipt
from tests.ingest_server.helpers import MIB, clip_bytes, manifest_for, put_parts, register, upload


def _receipt_ok(client, receipt) -> bool:
    key = client.get("/api/v1/receipt-key").json()
    assert key["algorithm"] == "ed25519" and key["key_id"] == receipt["key_id"]
    return verify_receipt(key["public_key_pem"], receipt)


def test_upload_stores_locks_indexes_and_signs(client, people, ctx):
    data = clip_bytes(100_000)
    reg, receipt = upload(client, people.auth("device"), data)
    body = receipt["receipt"]
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["size"] == len(data)
    assert body["clip_id"] == reg["clip_id"] and body["object_key"] == reg["object_key"]
    assert _receipt_ok(client, receipt)
    tampered = {**receipt, "receipt": {**body, "size": body["size"] + 1}}
    assert not _receipt_ok(client, tampered)

    s3, bucket = ctx.storage.client, ctx.storage.bucket
    got = s3.get_object(Bucket=bucket, Key=body["object_key"], VersionId=body["version_id"])
    assert hashlib.sha256(got["Body"].read()).hexdigest() == body["sha256"]
    assert got["Metadata"]["sha256"] == body["sha256"]
    head = s3.head_object(Bucket=bucket, Key=body["object_key"], VersionId=body["version_id"])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] >= datetime.now(UTC) + timedelta(days=89)
    manifest = s3.get_object(Bucket=bucket, Key=f"manifests/{reg['clip_id']}.json")["Body"].read()
    assert manifest == manifest_for(data).dumps().encode()

    found = client.get("/api/v1/clips", params={"sha256": body["sha256"]}, headers=people.auth("custodian"))
    assert found.status_code == 200
    [clip] = found.json()["items"]
    assert clip["state"] == "stored" and clip["category"] == "unclassified" and clip["officer_id"] == "B1234"
    assert clip["version_id"] == body["version_id"]


def test_register_twice_gives_same_clip_and_present_parts(client, people, ctx):
    data = clip_bytes(5 * MIB + 1000)
    first = register(client, people.auth("device"), data, part_size=5 * MIB).json()
    assert [p["present"] for p in first["parts"]] == [False, False]
    etags = put_parts(first, data, only={1})
    again = register(client, people.auth("device"), data, part_size=5 * MIB).json()
    assert (again["clip_id"], again["upload_id"]) == (first["clip_id"], first["upload_id"])
    assert [p["present"] for p in again["parts"]] == [True, False]
    etags += put_parts(again, data, only={2})
    receipt = client.post(
        f"/api/v1/uploads/{first['clip_id']}/complete", headers=people.auth("device"), json={"parts": etags}
    )
    assert receipt.status_code == 200, receipt.text
    assert _receipt_ok(client, receipt.json())


def test_complete_twice_same_receipt_and_register_after_stored(client, people):
    data = clip_bytes(3000)
    reg, receipt = upload(client, people.auth("device"), data)
    again = client.post(
        f"/api/v1/uploads/{reg['clip_id']}/complete",
        headers=people.auth("device"),
        json={"parts": [{"part_number": 1, "etag": "whatever"}]},
    )
    assert again.status_code == 200 and again.json() == receipt
    registered = register(client, people.auth("device"), data).json()
    assert registered["state"] == "stored" and registered["clip_id"] == reg["clip_id"]
    assert registered["receipt"] == receipt and registered["parts"] == []


def _versions(ctx, key):
    listed = ctx.storage.client.list_object_versions(Bucket=ctx.storage.bucket, Prefix=key)
    return listed.get("Versions", [])


def test_part_with_other_bytes_is_refused_by_the_store_before_complete(client, people, ctx):
    """SeaweedFS checks each part against its signed `x-amz-checksum-sha256`: other bytes never
    become a part, so the upload cannot even be completed with them. (The server's own
    completion check, for a store that does not do this, is in test_uploads_lax_store.py.)"""
    data = clip_bytes(5 * MIB + 4096)
    reg = register(client, people.auth("device"), data, part_size=5 * MIB).json()
    evil = bytearray(data[5 * MIB :])
    evil[0] ^= 0xFF
    part2 = reg["parts"][1]
    refused = httpx.put(
        part2["url"], content=bytes(evil), headers={"x-amz-checksum-sha256": part2["checksum_sha256"]}
    )
    assert refused.status_code == 400 and "<Code>BadDigest</Code>" in refused.text
    assert ctx.storage.uploaded_parts(reg["object_key"], reg["upload_id"]) == {}
    # the right bytes on the same presigned URL are taken, and the clip completes with its sha256
    done = client.post(
        f"/api/v1/uploads/{reg['clip_id']}/complete",
        headers=people.auth("device"),
        json={"parts": put_parts(reg, data)},
    )
    assert done.status_code == 200 and done.json()["receipt"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert [v["IsLatest"] for v in _versions(ctx, reg["object_key"])] == [True]


def test_manifest_whose_composite_does_not_match_its_parts_is_refused(client, people, ctx):
    data = clip_bytes(4096)
    bad = manifest_for(data).as_dict() | {"composite": manifest_for(b"other").composite}
    refused = client.post(
        "/api/v1/uploads/register",
        headers=people.auth("device"),
        json={"manifest": bad, "metadata": {"original_name": "a.mp4"}},
    )
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "does not match its parts" in detail
    assert bad["composite"] in detail and manifest_for(data).composite in detail  # given and expected
    assert client.get("/api/v1/clips", headers=people.auth("custodian")).json()["total"] == 0
    assert ctx.storage.client.list_multipart_uploads(Bucket=ctx.storage.bucket).get("Uploads", []) == []


def test_failure_after_upload_creation_aborts_it(client, people, ctx, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("presigner exploded")

    monkeypatch.setattr(ctx.storage, "presign_part", broken)
    response = register(client, people.auth("device"), clip_bytes(1000))
    assert response.status_code == 500 and response.json()["detail"].startswith("internal server error")
    assert ctx.storage.client.list_multipart_uploads(Bucket=ctx.storage.bucket).get("Uploads", []) == []
    monkeypatch.undo()
    searched = client.get("/api/v1/clips", headers=people.auth("custodian")).json()
    assert searched["total"] == 0  # nothing half-registered


def test_complete_refuses_wrong_part_list_and_other_devices(client, people):
    data = clip_bytes(1500)
    reg = register(client, people.auth("device"), data).json()
    etags = put_parts(reg, data)
    other = client.post(
        f"/api/v1/uploads/{reg['clip_id']}/complete", headers=people.auth("device2"), json={"parts": etags}
    )
    assert other.status_code == 403
    wrong = client.post(
        f"/api/v1/uploads/{reg['clip_id']}/complete",
        headers=people.auth("device"),
        json={"parts": etags + [{"part_number": 2, "etag": "x"}]},
    )
    assert wrong.status_code == 422 and "unexpected [2]" in wrong.json()["detail"]
    bad_etag = client.post(
        f"/api/v1/uploads/{reg['clip_id']}/complete",
        headers=people.auth("device"),
        json={"parts": [{"part_number": 1, "etag": '"0000"'}]},
    )
    assert bad_etag.status_code == 409 and "InvalidPart" in bad_etag.json()["detail"]
    ok = client.post(
        f"/api/v1/uploads/{reg['clip_id']}/complete", headers=people.auth("device"), json={"parts": etags}
    )
    assert ok.status_code == 200


def test_presigned_urls_sign_the_part_checksum(client, people):
    data = clip_bytes(1000)
    reg = register(client, people.auth("device"), data).json()
    [part] = reg["parts"]
    assert "X-Amz-SignedHeaders=host%3Bx-amz-checksum-sha256" in part["url"]
    assert "testing" not in part["url"].split("X-Amz-Credential=")[0]  # no secret in the URL
    assert part["checksum_sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_a_completion_retried_after_the_manifest_put_writes_no_second_locked_version(client, people, ctx):
    # Issue 16 Found 6: a server killed after its manifest PUT wrote a second COMPLIANCE-locked version
    # of manifests/<id>.json on the retried completion (undeletable for the lock period).
    from ingest_server import object_lock
    from ingest_server.clips.models import Clip

    reg, _ = upload(client, people.auth("device"), clip_bytes(50_000))
    with ctx.sessions() as session:
        clip = session.get(Clip, reg["clip_id"])
        object_lock.lock_new_clip(ctx=ctx, clip=clip, now=ctx.clock())  # the retried completion's store step
    key = f"manifests/{reg['clip_id']}.json"
    versions = ctx.storage.client.list_object_versions(Bucket=ctx.storage.bucket, Prefix=key).get(
        "Versions", []
    )
    assert [v["Key"] for v in versions] == [key], versions
