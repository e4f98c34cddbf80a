"""The composite checksum we compute equals what an S3 store computes from the bytes."""

from __future__ import annotations

from hashing import MIN_PART_SIZE, hash_file, part_checksum_b64


def test_composite_equals_the_store_after_multipart_upload(make_file, s3, bucket):
    path = make_file(2 * MIN_PART_SIZE + 4321)
    digest = hash_file(path, MIN_PART_SIZE)
    key = "clips/composite.bin"
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256")
    parts = []
    with open(path, "rb") as fh:
        for number, part_hex in enumerate(digest.parts, start=1):
            body = fh.read(digest.part_size)
            resp = s3.upload_part(
                Bucket=bucket,
                Key=key,
                UploadId=upload["UploadId"],
                PartNumber=number,
                Body=body,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=part_checksum_b64(part_hex),
            )
            parts.append(
                {
                    "PartNumber": number,
                    "ETag": resp["ETag"],
                    "ChecksumSHA256": resp.get("ChecksumSHA256", part_checksum_b64(part_hex)),
                }
            )
    s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )

    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == digest.s3_composite
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    # SeaweedFS returns the true composite with its "-N" part count, as AWS does.
    assert head["ChecksumSHA256"] == digest.s3_composite
    assert head["ContentLength"] == digest.size
