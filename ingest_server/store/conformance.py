"""`evidence-server store check`: does the configured S3 endpoint keep the properties the
evidence guarantees rest on? One probe per property, each against the real bucket
under a scratch prefix (`_store-check/<run>/`), each recording what the store answered.

Guaranteed properties (a failure makes the check, and `serve`, refuse):
- signature: a request signed with a wrong secret is refused;
- versioning and Object Lock enabled on the bucket;
- part checksum: a part whose bytes differ from its `x-amz-checksum-sha256` is refused;
- presigned part URLs: the right bytes are taken, and an altered checksum header, part
  number or expiry, or an expired URL, is refused;
- retention: a COMPLIANCE retention reads back, cannot be shortened, and its version
  cannot be deleted; a legal hold blocks deletion.
Reported, not guaranteed: the composite checksum on HEAD (the server re-reads and
re-hashes when a store reports none).

The probes leave a few small objects under the scratch prefix, locked for
`LOCK_SECONDS`; nothing else in the bucket is touched.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import boto3
import httpx
from botocore.exceptions import BotoCoreError, ClientError

from hashing import composite_checksum

LOCK_SECONDS = 60
PREFIX = "_store-check"


@dataclass(frozen=True)
class Result:
    name: str
    guaranteed: bool
    passed: bool
    answer: str  # what the store said, in a few words


def failed_guarantees(results: list[Result]) -> list[Result]:
    return [r for r in results if r.guaranteed and not r.passed]


def render(results: list[Result]) -> list[str]:
    width = max(len(r.name) for r in results)
    return [
        f"{'pass' if r.passed else 'FAIL'}  {r.name:<{width}}  {r.answer}"
        + ("" if r.guaranteed else "  (reported, not required)")
        for r in results
    ]


def _b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _said(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        return f"{status} {exc.response.get('Error', {}).get('Code', '')}".strip()
    return f"{type(exc).__name__}: {exc}"[:120]


def _http_said(response: httpx.Response) -> str:
    code = ""
    if "<Code>" in response.text:
        code = response.text.split("<Code>", 1)[1].split("</Code>", 1)[0]
    return f"{response.status_code} {code}".strip()


def _refused(action: Callable[[], object]) -> tuple[bool, str]:
    """(was refused, what the store said) for a boto call that must fail."""
    try:
        action()
    except (ClientError, BotoCoreError) as exc:
        return True, _said(exc)
    return False, "accepted"


def _altered(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


class Probe:
    def __init__(self, client, bucket: str, *, http: httpx.Client | None = None) -> None:
        self.s3, self.bucket = client, bucket
        self.http = http or httpx.Client(timeout=30)
        self.prefix = f"{PREFIX}/{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        self.results: list[Result] = []

    def record(self, name: str, passed: bool, answer: str, *, guaranteed: bool = True) -> None:
        self.results.append(Result(name, guaranteed, passed, answer))

    def guarded(self, name: str, probe: Callable[[], None]) -> None:
        """Run one probe; one that cannot even be set up counts as failed, with the reason."""
        try:
            probe()
        except (ClientError, BotoCoreError, httpx.HTTPError) as exc:
            self.record(name, False, f"could not be tried: {_said(exc)}")

    # ------------------------------------------------------------ the probes

    def signature(self) -> None:
        creds = self.s3._request_signer._credentials.get_frozen_credentials()
        wrong = boto3.client(
            "s3",
            endpoint_url=self.s3.meta.endpoint_url,
            region_name=self.s3.meta.region_name,
            aws_access_key_id=creds.access_key or "nobody",
            aws_secret_access_key="not-the-secret-" + uuid.uuid4().hex,
            config=self.s3.meta.config,
        )
        refused, said = _refused(
            lambda: wrong.put_object(Bucket=self.bucket, Key=f"{self.prefix}/forged", Body=b"x")
        )
        self.record("signature: wrong secret refused", refused, said)

    def bucket_state(self) -> None:
        versioning = self.s3.get_bucket_versioning(Bucket=self.bucket).get("Status")
        self.record("bucket versioning enabled", versioning == "Enabled", f"Status={versioning}")
        try:
            lock = self.s3.get_object_lock_configuration(Bucket=self.bucket)
            state = lock["ObjectLockConfiguration"].get("ObjectLockEnabled")
        except ClientError as exc:
            state = _said(exc)
        self.record("bucket Object Lock enabled", state == "Enabled", f"ObjectLockEnabled={state}")

    def multipart(self) -> None:
        """Part checksum, presigned URLs (right bytes, tampering, expiry), composite on HEAD."""
        key = f"{self.prefix}/multipart"
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key, ChecksumAlgorithm="SHA256")
        upload_id = upload["UploadId"]
        part1, other = b"evidence part one\n" * 64, b"other bytes\n" * 64
        try:
            refused, said = _refused(
                lambda: self.s3.upload_part(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=1,
                    Body=other,
                    ChecksumSHA256=_b64(part1),
                )
            )
            self.record("part PUT with other bytes than its checksum refused", refused, said)

            def presign(number: int, data: bytes, expires: int = 300) -> str:
                return self.s3.generate_presigned_url(
                    "upload_part",
                    ExpiresIn=expires,
                    HttpMethod="PUT",
                    Params={
                        "Bucket": self.bucket,
                        "Key": key,
                        "UploadId": upload_id,
                        "PartNumber": number,
                        "ChecksumSHA256": _b64(data),
                    },
                )

            def put(url: str, data: bytes, checksum: str) -> httpx.Response:
                return self.http.put(url, content=data, headers={"x-amz-checksum-sha256": checksum})

            url = presign(1, part1)
            expired = presign(1, part1, expires=1)
            swapped = put(url, other, _b64(other))
            self.record(
                "presigned part: other bytes with their own checksum header refused",
                swapped.status_code in (400, 403),
                _http_said(swapped),
            )
            renumbered = put(_altered(url, partNumber="2"), part1, _b64(part1))
            self.record(
                "presigned part: altered part number refused",
                renumbered.status_code == 403,
                _http_said(renumbered),
            )
            stretched = put(_altered(url, **{"X-Amz-Expires": "604800"}), part1, _b64(part1))
            self.record(
                "presigned part: altered expiry refused", stretched.status_code == 403, _http_said(stretched)
            )
            time.sleep(2.1)
            late = put(expired, part1, _b64(part1))
            self.record("presigned part: expired URL refused", late.status_code == 403, _http_said(late))
            good = put(url, part1, _b64(part1))
            self.record("presigned part: the right bytes taken", good.status_code == 200, _http_said(good))
            if good.status_code != 200:
                return
            done = self.s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [
                        {"PartNumber": 1, "ETag": good.headers.get("ETag", ""), "ChecksumSHA256": _b64(part1)}
                    ]
                },
            )
            upload_id = ""
            expected = composite_checksum([hashlib.sha256(part1).digest()])
            head = self.s3.head_object(
                Bucket=self.bucket, Key=key, VersionId=done.get("VersionId"), ChecksumMode="ENABLED"
            )
            got = head.get("ChecksumSHA256")
            self.record(
                "HEAD reports the composite SHA-256 (…-N)",
                got == expected,
                f"ChecksumSHA256={got} (expected {expected})",
                guaranteed=False,
            )
        finally:
            if upload_id:
                try:
                    self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
                except ClientError:
                    pass

    def retention(self) -> None:
        key = f"{self.prefix}/locked"
        until = (datetime.now(UTC) + timedelta(seconds=LOCK_SECONDS)).replace(microsecond=0)
        put = self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=b"locked",
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=until,
            ChecksumAlgorithm="SHA256",
        )
        where = {"Bucket": self.bucket, "Key": key, "VersionId": put.get("VersionId")}
        try:
            read = self.s3.get_object_retention(**where)["Retention"]
            drift = abs((read["RetainUntilDate"] - until).total_seconds())
            ok = read.get("Mode") == "COMPLIANCE" and drift < 2
            self.record(
                "COMPLIANCE retention reads back",
                ok,
                f"{read.get('Mode')} until {read.get('RetainUntilDate')}",
            )
        except ClientError as exc:
            self.record("COMPLIANCE retention reads back", False, _said(exc))
        refused, said = _refused(
            lambda: self.s3.put_object_retention(
                **where, Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until - timedelta(seconds=30)}
            )
        )
        self.record("COMPLIANCE retention cannot be shortened", refused, said)
        refused, said = _refused(
            lambda: self.s3.put_object_retention(
                **where,
                Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until},
                BypassGovernanceRetention=True,
            )
        )
        self.record("COMPLIANCE retention cannot be turned into GOVERNANCE", refused, said)
        refused, said = _refused(lambda: self.s3.delete_object(**where, BypassGovernanceRetention=True))
        self.record("locked version cannot be deleted before retain-until", refused, said)

    def legal_hold(self) -> None:
        key = f"{self.prefix}/held"
        put = self.s3.put_object(Bucket=self.bucket, Key=key, Body=b"held", ChecksumAlgorithm="SHA256")
        where = {"Bucket": self.bucket, "Key": key, "VersionId": put.get("VersionId")}
        self.s3.put_object_legal_hold(**where, LegalHold={"Status": "ON"})
        refused, said = _refused(lambda: self.s3.delete_object(**where))
        status = self.s3.get_object_legal_hold(**where)["LegalHold"]["Status"]
        self.record("legal hold blocks deletion", refused and status == "ON", f"{said}; hold {status}")
        self.s3.put_object_legal_hold(**where, LegalHold={"Status": "OFF"})
        try:
            self.s3.delete_object(**where)
        except ClientError:
            pass

    def run(self) -> list[Result]:
        self.guarded("signature: wrong secret refused", self.signature)
        self.guarded("bucket versioning and Object Lock", self.bucket_state)
        self.guarded("multipart with checksums and presigned parts", self.multipart)
        self.guarded("COMPLIANCE retention", self.retention)
        self.guarded("legal hold blocks deletion", self.legal_hold)
        return self.results


def check_store(*, client, bucket: str) -> list[Result]:
    """Every probe against `bucket` through `client` (the server's own store client)."""
    return Probe(client, bucket).run()
