"""Test access to the loopback object store: SeaweedFS's `weed mini`, started by
`ingest_server.store.seaweed.EmbeddedStore` (the same module the demo and the
benchmarks use), once per test session.

Never targets any other address. Each test that needs storage gets a bucket of
its own with versioning and Object Lock (see `fresh_bucket`), so tests cannot see
each other's objects. The test store's one S3 identity is `testing` / `testing`
(SigV4 is enforced: any other secret gets 403); the demo generates its own.
Ports: from $EVIDENCE_STORE_PORTS (low-high) when set, else the kernel's free
ports on 127.0.0.1.
"""

from __future__ import annotations

import uuid

from demo.stack import LOOPBACK, free_port
from ingest_server.store.seaweed import Credentials, EmbeddedStore
from ingest_server.store.seaweed import s3_client as _s3_client

__all__ = ["TEST_CREDENTIALS", "free_port", "fresh_bucket", "s3_client", "test_store"]

TEST_CREDENTIALS = Credentials("testing", "testing")
# Each bucket takes a volume slot of its own: room for a full test session's buckets.
TEST_VOLUME_MAX = 3000


def test_store(root) -> EmbeddedStore:
    return EmbeddedStore(root, credentials=TEST_CREDENTIALS, volume_max=TEST_VOLUME_MAX)


test_store.__test__ = False  # not a test, for pytest's collector


def s3_client(endpoint: str, credentials: Credentials = TEST_CREDENTIALS):
    assert endpoint.startswith(f"http://{LOOPBACK}:"), "tests only ever talk to loopback"
    return _s3_client(endpoint, credentials)


def fresh_bucket(client, prefix: str = "test", object_lock: bool = True) -> str:
    """A new bucket; with Object Lock (and so versioning), as the server's is, unless asked."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=object_lock)
    if object_lock:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name
