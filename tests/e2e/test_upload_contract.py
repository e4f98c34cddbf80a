"""Contract: the agent's real uploader against the real server process, nothing mocked."""

from __future__ import annotations

import hashlib
import json

from hashing import MIN_PART_SIZE


def stored_sha256(store, key: str, version: str | None = None) -> str:
    s3, bucket = store
    args = {"Bucket": bucket, "Key": key, **({"VersionId": version} if version else {})}
    return hashlib.sha256(s3.get_object(**args)["Body"].read()).hexdigest()


def test_spooled_clips_are_uploaded_receipted_and_searchable(car, server, store):
    ids = [
        car.spooled_clip("A.MP4", 2 * MIN_PART_SIZE + 1234),
        car.spooled_clip("B.MP4", 1000, event=True),
        car.spooled_clip("C.MP4", 0),
    ]
    up = car.uploader()
    try:
        assert up.run_once() == 3
        assert up.run_once() == 0, "nothing is left to do"
    finally:
        up.close()
    with server.custodian() as api:
        for clip_id in ids:
            row = car.journal.get(clip_id)
            assert row.state == "RECEIPTED"
            receipt = json.loads(row.receipt_json)["receipt"]
            assert receipt["sha256"] == row.sha256
            assert stored_sha256(store, receipt["object_key"], receipt.get("version_id")) == row.sha256
            found = api.get("/api/v1/clips", params={"sha256": row.sha256}).json()
            items = found["items"] if isinstance(found, dict) else found
            assert [c["id"] for c in items] == [receipt["clip_id"]]


def test_event_clips_go_first(car):
    car.spooled_clip("old.MP4", 100)
    car.spooled_clip("event.MP4", 100, event=True)
    up = car.uploader()
    try:
        order = [r.relpath for r in up.pending()]
    finally:
        up.close()
    assert order == ["event.MP4", "old.MP4"]


def test_a_receipted_clip_registered_again_returns_the_same_receipt(car, server):
    clip_id = car.spooled_clip("again.MP4", 5000)
    up = car.uploader()
    try:
        up.run_once()
    finally:
        up.close()
    row = car.journal.get(clip_id)
    client = car.client()
    again = client.register(row.manifest, {"original_name": "again.MP4"})
    assert again["clip_id"] == row.server_clip_id
    assert again["state"] == "stored"
    assert again["receipt"] == json.loads(row.receipt_json)
