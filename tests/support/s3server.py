"""Test access to the loopback S3 server (started by demo.stack.moto_server).

Never targets any other address. Each test that needs storage gets a bucket of
its own (see `fresh_bucket`), so tests cannot see each other's objects.
"""

from __future__ import annotations

import uuid

import boto3
from botocore.config import Config

from demo.stack import LOOPBACK, free_port, moto_server

__all__ = ["free_port", "fresh_bucket", "moto_server", "s3_client"]

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"


def s3_client(endpoint: str):
    assert endpoint.startswith(f"http://{LOOPBACK}:"), "tests only ever talk to loopback"
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        config=Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
        **CREDENTIALS,
    )


def fresh_bucket(client, prefix: str = "test", object_lock: bool = False) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=object_lock)
    return name
