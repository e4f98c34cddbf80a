"""Related files (sidecars) on the SeaweedFS test store: declared at register, PUT bound to their
SHA-256, verified at complete (other bytes refused with 409 and removed), locked COMPLIANCE with
the clip, listed in the signed receipt, following the clip's retention extensions and legal holds,
idempotent across a re-register and a completion retried after a crash."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from ingest_server.receipts import verify_receipt
from ingest_server.related.models import RelatedFile
from tests.ingest_server.helpers import clip_bytes, manifest_for, metadata, put_parts
from tests.ingest_server.related_helpers import (
    FILES,
    TRACK,
    XML,
)
from tests.ingest_server.related_helpers import (
    complete as _complete,
)
from tests.ingest_server.related_helpers import (
    declared as _declared,
)
from tests.ingest_server.related_helpers import (
    put_related as _put_related,
)
from tests.ingest_server.related_helpers import (
    register_with_related as _register,
)
from tests.ingest_server.related_helpers import (
    upload_with_related as _upload_with_related,
)


def test_sidecars_are_stored_locked_and_in_the_receipt(client, people, ctx):
    data = clip_bytes(50_000, seed=31)
    device = people.auth("device")
    reg, receipt = _upload_with_related(client, device, data)
    key = client.get("/api/v1/receipt-key").json()
    assert verify_receipt(key["public_key_pem"], receipt)
    listed = {r["name"]: r for r in receipt["receipt"]["related"]}
    assert {n: r["sha256"] for n, r in listed.items()} == {
        n: hashlib.sha256(b).hexdigest() for n, b in FILES.items()
    }

    s3, bucket = ctx.storage.client, ctx.storage.bucket
    clip_lock = s3.get_object_retention(
        Bucket=bucket, Key=reg["object_key"], VersionId=receipt["receipt"]["version_id"]
    )["Retention"]
    for name, body in FILES.items():
        where = {"Bucket": bucket, "Key": listed[name]["object_key"], "VersionId": listed[name]["version_id"]}
        assert listed[name]["object_key"].startswith(f"originals/{reg['clip_id']}/related/")
        assert s3.get_object(**where)["Body"].read() == body
        lock = s3.get_object_retention(**where)["Retention"]
        assert lock["Mode"] == "COMPLIANCE" and lock["RetainUntilDate"] == clip_lock["RetainUntilDate"]
        assert lock["RetainUntilDate"] >= datetime.now(UTC) + timedelta(days=89)

    clip = client.get(f"/api/v1/clips/{reg['clip_id']}", headers=people.auth("custodian")).json()
    assert clip["state"] == "stored"
    with ctx.sessions() as session:
        rows = session.query(RelatedFile).filter_by(clip_id=reg["clip_id"]).all()
        assert sorted((r.name, r.state, r.size) for r in rows) == sorted(
            (n, "stored", len(b)) for n, b in FILES.items()
        )

    again = _register(client, device, data).json()  # after the receipt: the same, nothing to PUT
    assert again["state"] == "stored" and again["receipt"] == receipt
    assert all(r["present"] and r["url"] is None for r in again["related"])


def test_tampered_sidecar_bytes_are_refused_at_complete_and_removed(client, people, ctx):
    data = clip_bytes(40_000, seed=32)
    device = people.auth("device")
    reg = _register(client, device, data).json()
    etags = put_parts(reg, data)
    xml = next(r for r in reg["related"] if r["name"].endswith(".XML"))
    _put_related({"related": [r for r in reg["related"] if r is not xml]}, FILES)
    # other bytes land at the sidecar's key (a path without the checksum binding)
    s3, bucket = ctx.storage.client, ctx.storage.bucket
    tampered = s3.put_object(Bucket=bucket, Key=xml["object_key"], Body=XML.replace(b"41.76", b"41.99"))

    refused = _complete(client, device, reg, etags)
    assert refused.status_code == 409, refused.text
    assert "MEDIA/B1234_20261124-100000.XML" in refused.json()["detail"]
    [problem] = refused.json()["related"]
    assert problem["problem"] == "other bytes" and problem["expected"]["size"] == len(XML)
    versions = s3.list_object_versions(Bucket=bucket, Prefix=xml["object_key"]).get("Versions", [])
    assert tampered["VersionId"] not in [v["VersionId"] for v in versions]  # not evidence: removed
    clip = client.get(f"/api/v1/clips/{reg['clip_id']}", headers=people.auth("custodian")).json()
    assert clip["state"] != "stored"

    # the agent registers again, sees which file is missing, sends it, completes: stored
    again = _register(client, device, data).json()
    assert {r["name"]: r["present"] for r in again["related"]} == {
        "MEDIA/B1234_20261124-100000.XML": False,
        "MEDIA/B1234_20261124-100000.JSON": True,
    }
    _put_related(again, FILES)
    done = _complete(client, device, again, etags)
    assert done.status_code == 200, done.text
    stored = {r["name"]: r["sha256"] for r in done.json()["receipt"]["related"]}
    assert stored["MEDIA/B1234_20261124-100000.XML"] == hashlib.sha256(XML).hexdigest()


def test_a_missing_sidecar_refuses_the_completion(client, people, ctx):
    data = clip_bytes(30_000, seed=33)
    device = people.auth("device")
    reg = _register(client, device, data).json()
    etags = put_parts(reg, data)
    refused = _complete(client, device, reg, etags)
    assert refused.status_code == 409
    assert {p["problem"] for p in refused.json()["related"]} == {"not in the store"}


def test_a_completion_retried_after_a_crash_locks_no_second_version(client, people, ctx, monkeypatch):
    data = clip_bytes(30_000, seed=34)
    device = people.auth("device")
    reg = _register(client, device, data).json()
    etags = put_parts(reg, data)
    _put_related(reg, FILES)
    from ingest_server import receipts

    def crash(*args, **kwargs):
        raise RuntimeError("power cut after the locks")

    monkeypatch.setattr(receipts.ReceiptSigner, "sign", crash)
    assert _complete(client, device, reg, etags).status_code == 500
    monkeypatch.undo()
    again = _register(client, device, data).json()
    assert all(r["present"] for r in again["related"])  # nothing to send again
    done = _complete(client, device, again, etags)
    assert done.status_code == 200, done.text
    s3, bucket = ctx.storage.client, ctx.storage.bucket
    for item in done.json()["receipt"]["related"]:
        versions = s3.list_object_versions(Bucket=bucket, Prefix=item["object_key"]).get("Versions", [])
        assert [v["VersionId"] for v in versions] == [item["version_id"]]


def test_sidecars_follow_the_clips_hold_and_retention(client, people, ctx):
    data = clip_bytes(30_000, seed=35)
    reg, receipt = _upload_with_related(client, people.auth("device"), data)
    s3, bucket = ctx.storage.client, ctx.storage.bucket
    related = [
        {"Bucket": bucket, "Key": r["object_key"], "VersionId": r["version_id"]}
        for r in receipt["receipt"]["related"]
    ]
    before = [s3.get_object_retention(**w)["Retention"]["RetainUntilDate"] for w in related]
    custodian = people.auth("custodian")
    held = client.post(
        "/api/v1/holds",
        headers=custodian,
        json={"clip_id": reg["clip_id"], "matter": "State v. Roe", "reason": "letter"},
    )
    assert held.status_code == 201, held.text
    assert [s3.get_object_legal_hold(**w)["LegalHold"]["Status"] for w in related] == ["ON", "ON"]

    recat = client.put(
        f"/api/v1/retention/clips/{reg['clip_id']}/category",
        headers=custodian,
        json={"category": "evidentiary", "reason": "evidence in State v. Roe"},
    )
    assert recat.status_code == 200, recat.text
    clip_until = s3.get_object_retention(
        Bucket=bucket, Key=reg["object_key"], VersionId=receipt["receipt"]["version_id"]
    )["Retention"]["RetainUntilDate"]
    after = [s3.get_object_retention(**w)["Retention"]["RetainUntilDate"] for w in related]
    assert after == [clip_until, clip_until] and all(
        a > b + timedelta(days=365) for a, b in zip(after, before, strict=True)
    )


def test_bad_declarations_get_a_clear_4xx(client, people):
    data = clip_bytes(10_000, seed=36)
    device = people.auth("device")
    twice = [*_declared(FILES), _declared(FILES)[0]]
    body = {"manifest": manifest_for(data).as_dict(), "metadata": metadata(), "related": twice}
    assert client.post("/api/v1/uploads/register", headers=device, json=body).status_code == 422
    bad_track = {**TRACK, "sidecar": "MEDIA/OTHER.XML"}
    assert _register(client, device, data, track=bad_track).status_code == 422
    wrong = {**body, "related": [{**_declared(FILES)[0], "kind": "exe"}]}
    assert client.post("/api/v1/uploads/register", headers=device, json=wrong).status_code == 422
