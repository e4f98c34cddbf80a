"""A full upload over real HTTP: uvicorn and the SeaweedFS store, both on 127.0.0.1.

The client side here is what the agent does, with nothing but the device token:
register, PUT parts to the presigned URLs, complete, verify the receipt.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from ingest_server.app import create_app
from ingest_server.receipts import verify_receipt
from tests.ingest_server.helpers import MIB, clip_bytes, manifest_for, metadata, put_parts
from tests.support.live_server import LiveServer


@pytest.fixture
def server_url(ctx):
    live = LiveServer(create_app(context=ctx), "uvicorn-test")
    yield live.start()
    live.stop()
    assert not live.thread.is_alive()


def _agent_upload(base: str, token: str, data: bytes, part_size: int, name: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        manifest = manifest_for(data, part_size)
        reg = http.post(
            "/api/v1/uploads/register",
            json={"manifest": manifest.as_dict(), "metadata": metadata(original_name=name)},
        )
        assert reg.status_code == 200, reg.text
        etags = put_parts(reg.json(), data)
        done = http.post(f"/api/v1/uploads/{reg.json()['clip_id']}/complete", json={"parts": etags})
        assert done.status_code == 200, done.text
        return done.json()


@pytest.mark.slow
def test_full_upload_over_real_http(server_url, people, ctx):
    data = clip_bytes(5 * MIB + 12345, seed=7)
    receipt = _agent_upload(server_url, people["device"], data, 5 * MIB, "FILE0001.MP4")

    key = httpx.get(f"{server_url}/api/v1/receipt-key").json()  # no auth needed
    assert verify_receipt(key["public_key_pem"], receipt)
    body = receipt["receipt"]
    assert body["sha256"] == hashlib.sha256(data).hexdigest() == manifest_for(data, 5 * MIB).sha256

    fetched = ctx.storage.client.get_object(
        Bucket=ctx.storage.bucket, Key=body["object_key"], VersionId=body["version_id"]
    )["Body"].read()
    assert hashlib.sha256(fetched).hexdigest() == body["sha256"]

    custodian = {"Authorization": f"Bearer {people['custodian']}"}
    found = httpx.get(
        f"{server_url}/api/v1/clips", headers=custodian, params={"sha256": body["sha256"]}
    ).json()
    assert [c["id"] for c in found["items"]] == [body["clip_id"]]
    download = httpx.get(f"{server_url}/api/v1/clips/{body['clip_id']}/original", headers=custodian)
    assert download.content == data and download.headers["x-content-sha256"] == body["sha256"]
    ranged = httpx.get(
        f"{server_url}/api/v1/clips/{body['clip_id']}/original",
        headers={**custodian, "Range": f"bytes={5 * MIB}-"},
    )
    assert ranged.status_code == 206 and ranged.content == data[5 * MIB :]

    trail = httpx.get(f"{server_url}/api/v1/clips/{body['clip_id']}/audit", headers=custodian).json()["items"]
    assert {e["source"] for e in trail} == {"127.0.0.1"}
    assert httpx.get(f"{server_url}/api/v1/audit/verify", headers=custodian).json()["ok"]


@pytest.mark.slow
def test_concurrent_uploads_over_real_http_keep_the_chain_whole(server_url, people):
    def one(i):
        return _agent_upload(
            server_url, people["device"], clip_bytes(20_000 + i, seed=100 + i), 8 * MIB, f"c{i}.mp4"
        )

    with ThreadPoolExecutor(4) as pool:
        receipts = list(pool.map(one, range(8)))
    assert len({r["receipt"]["clip_id"] for r in receipts}) == 8
    auditor = {"Authorization": f"Bearer {people['auditor']}"}
    verified = httpx.get(f"{server_url}/api/v1/audit/verify", headers=auditor).json()
    assert verified["ok"], verified["message"]
