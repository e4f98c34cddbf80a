"""The S3-compatible store, through boto3: bucket bootstrap, multipart uploads,
presigned part URLs bound to their SHA-256, read-back for verification, Object Lock.

Checksums: boto3 >= 1.36 adds CRC32 checksums by default, which some S3-compatible
stores reject, so calculation and validation happen only when an operation needs
them; the SHA-256 checksums we want are sent explicitly. Presigned URLs use SigV4,
which signs the `x-amz-checksum-sha256` header: a store that checks checksums then
refuses other bytes for that part. The store is not trusted either way: the
completion check compares what it reports (or, if it reports nothing, what it
gives back when re-read) with the manifest.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from hashing import Digest, StreamHasher

READ_CHUNK = 1024 * 1024


class StorageError(Exception):
    pass


@dataclass(frozen=True)
class StoredObject:
    size: int
    checksum_sha256: str | None  # composite, base64, without any "-N" suffix
    version_id: str | None
    metadata: dict


def make_client(settings):
    config = Config(
        signature_version="s3v4",
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"addressing_style": "path" if settings.s3_path_style else "auto"},
        retries={"max_attempts": 3, "mode": "standard"},
    )
    secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=secret,
        config=config,
    )


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


class Storage:
    def __init__(self, client, bucket: str) -> None:
        self.client, self.bucket = client, bucket

    def ensure_bucket(self, create: bool) -> None:
        """Make sure the bucket exists with versioning and Object Lock; create it if allowed."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) not in ("404", "NoSuchBucket", "NotFound") or not create:
                raise StorageError(f"bucket {self.bucket!r} is not reachable: {exc}") from exc
            # Object Lock can only be enabled on an empty bucket: do it at creation.
            self.client.create_bucket(Bucket=self.bucket, ObjectLockEnabledForBucket=True)
            self.client.put_bucket_versioning(
                Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"}
            )
        versioning = self.client.get_bucket_versioning(Bucket=self.bucket).get("Status")
        try:
            lock = self.client.get_object_lock_configuration(Bucket=self.bucket)
            lock_state = lock["ObjectLockConfiguration"].get("ObjectLockEnabled")
        except ClientError:
            lock_state = None
        if versioning != "Enabled" or lock_state != "Enabled":
            raise StorageError(
                f"bucket {self.bucket!r} must have versioning and Object Lock enabled "
                f"(versioning={versioning}, object lock={lock_state})"
            )

    def create_upload(self, key: str, sha256: str, clip_id: str) -> str:
        response = self.client.create_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            ChecksumAlgorithm="SHA256",
            ContentType="application/octet-stream",
            Metadata={"sha256": sha256, "clip-id": clip_id},
        )
        return response["UploadId"]

    def presign_part(self, key: str, upload_id: str, number: int, checksum_b64: str, expires: int) -> str:
        return self.client.generate_presigned_url(
            "upload_part",
            ExpiresIn=expires,
            HttpMethod="PUT",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "UploadId": upload_id,
                "PartNumber": number,
                "ChecksumSHA256": checksum_b64,
            },
        )

    def presign_put(self, key: str, checksum_b64: str, expires: int) -> str:
        """A presigned single PUT bound to the object's SHA-256 (for small related files)."""
        return self.client.generate_presigned_url(
            "put_object",
            ExpiresIn=expires,
            HttpMethod="PUT",
            Params={"Bucket": self.bucket, "Key": key, "ChecksumSHA256": checksum_b64},
        )

    def uploaded_parts(self, key: str, upload_id: str) -> dict[int, tuple[int, str | None]] | None:
        """Part number -> (size, SHA-256 checksum if the store lists it); None if the upload is gone."""
        parts: dict[int, tuple[int, str | None]] = {}
        try:
            for page in self.client.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=key, UploadId=upload_id
            ):
                parts.update(
                    {p["PartNumber"]: (p["Size"], p.get("ChecksumSHA256")) for p in page.get("Parts", [])}
                )
        except ClientError as exc:
            if _code(exc) == "NoSuchUpload":
                return None
            raise
        return parts

    def complete(self, key: str, upload_id: str, parts: list[tuple[int, str, str]]) -> str | None:
        response = self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [{"PartNumber": n, "ETag": etag, "ChecksumSHA256": ck} for n, etag, ck in parts]
            },
        )
        return response.get("VersionId")

    def abort(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as exc:
            if _code(exc) != "NoSuchUpload":
                raise

    def head(self, key: str, version_id: str | None) -> StoredObject:
        kwargs = {"VersionId": version_id} if version_id else {}
        head = self.client.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED", **kwargs)
        checksum = head.get("ChecksumSHA256")
        return StoredObject(
            size=head["ContentLength"],
            version_id=head.get("VersionId"),
            checksum_sha256=checksum.split("-")[0] if checksum else None,
            metadata=head.get("Metadata", {}),
        )

    def rehash(self, key: str, version_id: str | None, part_size: int) -> Digest:
        hasher = StreamHasher(part_size)
        for chunk in self.read(key, version_id)[0]:
            hasher.update(chunk)
        return hasher.digest()

    def read(
        self,
        key: str,
        version_id: str | None,
        byte_range: tuple[int, int] | None = None,
    ) -> tuple[Iterator[bytes], int]:
        """(chunks, length) of the object or of the inclusive byte range [first, last]."""
        kwargs = {"VersionId": version_id} if version_id else {}
        if byte_range:
            kwargs["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        response = self.client.get_object(Bucket=self.bucket, Key=key, **kwargs)
        body = response["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(READ_CHUNK)
            finally:
                body.close()

        return chunks(), response["ContentLength"]

    def delete_version(self, key: str, version_id: str | None) -> None:
        kwargs = {"VersionId": version_id} if version_id else {}
        self.client.delete_object(Bucket=self.bucket, Key=key, **kwargs)

    def lock(self, key: str, version_id: str | None, mode: str, until: datetime) -> None:
        kwargs = {"VersionId": version_id} if version_id else {}
        self.client.put_object_retention(
            Bucket=self.bucket, Key=key, **kwargs, Retention={"Mode": mode, "RetainUntilDate": until}
        )

    def list_keys(self, prefix: str) -> list[str]:
        """Every key under `prefix`, sorted."""
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def put_locked(self, key: str, body: bytes, mode: str, until: datetime, content_type: str) -> str | None:
        response = self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            ObjectLockMode=mode,
            ObjectLockRetainUntilDate=until,
            ChecksumAlgorithm="SHA256",
        )
        return response.get("VersionId")

    def put_verified(
        self, key: str, path, sha256_hex: str, mode: str, until: datetime, content_type: str
    ) -> StoredObject:
        """PUT a file bound to its SHA-256 (a store that checks refuses other bytes), locked, then
        read back: the size and checksum the store reports must be ours."""
        checksum = base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")
        size = os.path.getsize(path)
        with open(path, "rb") as body:
            response = self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentLength=size,
                ContentType=content_type,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=checksum,
                ObjectLockMode=mode,
                ObjectLockRetainUntilDate=until,
                Metadata={"sha256": sha256_hex},
            )
        stored = self.head(key, response.get("VersionId"))
        if stored.size != size or (stored.checksum_sha256 not in (None, checksum)):
            raise StorageError(
                f"the store holds {stored.size} bytes (checksum {stored.checksum_sha256}) at {key}, "
                f"not the {size} bytes (checksum {checksum}) sent"
            )
        return stored

    def hide(self, key: str) -> str | None:
        """A delete marker over `key` (versioned bucket): plain reads find nothing; every locked
        version stays until its retain-until. Returns the marker's version id."""
        return self.client.delete_object(Bucket=self.bucket, Key=key).get("VersionId")
