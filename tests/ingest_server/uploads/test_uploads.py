"""The upload flow against moto's S3 server: register, presigned part PUTs, complete,
verification by the server, Object Lock, signed receipts, idempotency, tampering."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

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
