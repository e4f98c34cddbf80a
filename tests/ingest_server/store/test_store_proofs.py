"""Proven by the store, not only by the server: each test drives the server's real path
against the session's SeaweedFS and asserts what the store itself refuses or keeps.

Each would fail on a store that does not keep the property (moto 5.2.5 accepts every
tampered URL, a shortened COMPLIANCE retention and the deletion of a locked version;
an unhardened `weed mini` lets its filer, volume and master ports and `weed shell`
destroy locked versions). SQLite only: the database is not what is under test.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from botocore.exceptions import ClientError

from ingest_server import migrate
from ingest_server.store.seaweed import weed_binary
from ingest_server.sweeper import service as sweeper
from tests.ingest_server.helpers import MIB, clip_bytes, register, upload

LOCK_SECONDS = 4  # the test's Object Lock at completion: seconds instead of >= 90 days


@pytest.fixture
def db_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'evidence.sqlite3'}"
    migrate.upgrade(url)
    return url


def _altered(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True)) | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def _put(url: str, body: bytes, checksum: str) -> httpx.Response:
    return httpx.put(url, content=body, headers={"x-amz-checksum-sha256": checksum}, timeout=30)


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _code(exc: pytest.ExceptionInfo) -> tuple[int, str]:
    err = exc.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err.get("Error", {}).get("Code", "")


def _stored(ctx, key: str, version: str) -> str:
    body = ctx.storage.client.get_object(Bucket=ctx.storage.bucket, Key=key, VersionId=version)["Body"]
    return hashlib.sha256(body.read()).hexdigest()


def test_presigned_part_url_with_altered_checksum_part_number_upload_or_expiry_is_refused(
    client, people, ctx
):
    data = clip_bytes(5 * MIB + 1000)
    reg = register(client, people.auth("device"), data, part_size=5 * MIB).json()
    part = reg["parts"][0]
    mine = data[: 5 * MIB]
    other = bytes(b ^ 0x55 for b in mine)
    attempts = {
        "other bytes, their own checksum": _put(part["url"], other, _b64(other)),
        "part number 1 -> 2": _put(_altered(part["url"], partNumber="2"), mine, part["checksum_sha256"]),
        "another upload id": _put(
            _altered(part["url"], uploadId="x" + reg["upload_id"][1:]), mine, _b64(mine)
        ),
        "expiry stretched to a week": _put(
            _altered(part["url"], **{"X-Amz-Expires": "604800"}), mine, part["checksum_sha256"]
        ),
    }
    assert {what: r.status_code for what, r in attempts.items()} == dict.fromkeys(attempts, 403)
    assert all("<Code>SignatureDoesNotMatch</Code>" in r.text for r in attempts.values())
    assert ctx.storage.uploaded_parts(reg["object_key"], reg["upload_id"]) == {}  # none became a part
    assert _put(part["url"], mine, part["checksum_sha256"]).status_code == 200  # the URL itself works
    assert set(ctx.storage.uploaded_parts(reg["object_key"], reg["upload_id"])) == {1}


def test_expired_presigned_part_url_is_refused(client, people, ctx):
    data = clip_bytes(4096)
    reg = register(client, people.auth("device"), data).json()
    part = reg["parts"][0]
    short = ctx.storage.presign_part(reg["object_key"], reg["upload_id"], 1, part["checksum_sha256"], 1)
    time.sleep(2.2)
    late = _put(short, data, part["checksum_sha256"])
    assert late.status_code == 403 and "<Code>AccessDenied</Code>" in late.text
    assert ctx.storage.uploaded_parts(reg["object_key"], reg["upload_id"]) == {}


def test_stored_original_lock_holds_against_the_servers_own_credentials_and_a_store_restart(
    client, people, ctx, store_process
):
    data = clip_bytes(6 * MIB, seed=11)
    reg, receipt = upload(client, people.auth("device"), data, part_size=5 * MIB)
    key, version = reg["object_key"], receipt["receipt"]["version_id"]
    s3, bucket = ctx.storage.client, ctx.storage.bucket  # the server's own store credentials
    where = {"Bucket": bucket, "Key": key, "VersionId": version}
    locked = s3.get_object_retention(**where)["Retention"]
    assert locked["Mode"] == "COMPLIANCE" and locked["RetainUntilDate"] > datetime.now(UTC) + timedelta(
        days=89
    )

    with pytest.raises(ClientError) as shorter:
        s3.put_object_retention(
            **where,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": datetime.now(UTC) + timedelta(days=1)},
        )
    assert _code(shorter) == (403, "AccessDenied")
    with pytest.raises(ClientError) as governance:
        s3.put_object_retention(
            **where,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": locked["RetainUntilDate"]},
            BypassGovernanceRetention=True,
        )
    assert _code(governance)[0] == 403
    with pytest.raises(ClientError) as deleted:
        s3.delete_object(**where, BypassGovernanceRetention=True)
    assert _code(deleted) == (403, "AccessDenied")

    store_process.restart()
    assert s3.get_object_retention(**where)["Retention"] == locked
    with pytest.raises(ClientError) as after_restart:
        s3.delete_object(**where)
    assert _code(after_restart) == (403, "AccessDenied")
    assert _stored(ctx, key, version) == hashlib.sha256(data).hexdigest()


def _short_lock(ctx, clock_behind: timedelta = timedelta(0)) -> None:
    """A test policy: the completion lock ends LOCK_SECONDS after the real time, for a server whose
    clock is `clock_behind` the real one (settings refuse a lock under 90 days, so the validated
    model is copied without validation, as only a test may)."""
    days = (clock_behind + timedelta(seconds=LOCK_SECONDS)) / timedelta(days=1)
    ctx.settings = ctx.settings.model_copy(update={"object_lock_days": days})


def test_legal_hold_blocks_deletion(client, people, ctx):
    """A hold placed through the API is an Object Lock legal hold in the store; and the store
    refuses to delete a version whose only protection is that hold, until it is released."""
    data = clip_bytes(4096, seed=12)
    reg, receipt = upload(client, people.auth("device"), data)
    held = client.post(
        "/api/v1/holds",
        headers=people.auth("custodian"),
        json={"clip_id": reg["clip_id"], "matter": "State v. Roe", "reason": "preservation letter"},
    )
    assert held.status_code == 201, held.text
    s3, bucket = ctx.storage.client, ctx.storage.bucket
    where = {"Bucket": bucket, "Key": reg["object_key"], "VersionId": receipt["receipt"]["version_id"]}
    assert s3.get_object_legal_hold(**where)["LegalHold"]["Status"] == "ON"

    # the same call the server makes, on a version with no retention at all
    put = s3.put_object(Bucket=bucket, Key="held/only-a-hold", Body=b"held", ChecksumAlgorithm="SHA256")
    only = {"Bucket": bucket, "Key": "held/only-a-hold", "VersionId": put["VersionId"]}
    with pytest.raises(ClientError):
        s3.get_object_retention(**only)  # no retention: nothing but the hold protects it
    s3.put_object_legal_hold(**only, LegalHold={"Status": "ON"})
    with pytest.raises(ClientError) as deleted:
        s3.delete_object(**only)
    assert _code(deleted) == (403, "AccessDenied")
    s3.put_object_legal_hold(**only, LegalHold={"Status": "OFF"})
    s3.delete_object(**only)  # released: the store deletes it, so it was the hold that refused
    assert s3.list_object_versions(Bucket=bucket, Prefix="held/").get("Versions", []) == []


class MovableClock:
    """The server's clock: real time plus an offset the test moves (the store keeps real time)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def test_sweeper_deletes_an_original_once_its_lock_lapses_and_writes_its_certificate(client, people, ctx):
    """The server's decision alone deletes nothing: stored 400 days ago on the server's clock (an
    unclassified clip's year is over), the store still refuses to delete it until its own
    real-time lock, seconds long, has lapsed; then the sweep deletes it and certifies it."""
    behind = timedelta(days=400)
    _short_lock(ctx, behind)
    ctx.clock = clock = MovableClock()
    clock.offset = -behind
    data = clip_bytes(4096, seed=13)
    start, end = "2025-10-01T12:00:00+00:00", "2025-10-01T12:05:00+00:00"  # recorded before that
    reg, receipt = upload(
        client,
        people.auth("device"),
        data,
        camera_start=start,
        camera_end=end,
        corrected_start=start,
        corrected_end=end,
    )
    clock.offset = timedelta(0)
    version = receipt["receipt"]["version_id"]
    where = {"Bucket": ctx.storage.bucket, "Key": reg["object_key"], "VersionId": version}
    s3 = ctx.storage.client

    early = sweeper.sweep(ctx=ctx, dry_run=False)
    assert [i.clip_id for i in early.planned] == [reg["clip_id"]]
    until = s3.get_object_retention(**where)["Retention"]["RetainUntilDate"]
    assert until < datetime.now(UTC) + timedelta(seconds=LOCK_SECONDS + 2), until  # not extended
    if until > datetime.now(UTC) + timedelta(seconds=1):  # still locked: the store itself refuses
        assert early.deleted == [] and [f.split(":")[0] for f in early.failed] == [reg["clip_id"]]
        assert "AccessDenied" in early.failed[0]
        assert _stored(ctx, reg["object_key"], version) == hashlib.sha256(data).hexdigest()

    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.5)
    swept = sweeper.sweep(ctx=ctx, dry_run=False)
    assert swept.deleted == [reg["clip_id"]] and swept.failed == []
    with pytest.raises(ClientError) as gone:
        s3.head_object(**where)
    assert _code(gone)[0] == 404
    cert_key = f"certificates/{reg['clip_id']}.json"
    cert = json.loads(s3.get_object(Bucket=ctx.storage.bucket, Key=cert_key)["Body"].read())
    assert cert["clip_id"] == reg["clip_id"] and cert["sha256"] == hashlib.sha256(data).hexdigest()
    assert cert["version_id"] == version
    cert_lock = s3.get_object_retention(Bucket=ctx.storage.bucket, Key=cert_key)["Retention"]
    assert (
        cert_lock["Mode"] == "COMPLIANCE" and cert_lock["RetainUntilDate"].year >= datetime.now(UTC).year + 9
    )
    clip = client.get(f"/api/v1/clips/{reg['clip_id']}", headers=people.auth("custodian")).json()
    assert clip["state"] == "deleted"


# ---------------------------------------------------------------- the store's other ports


def _shell(store, commands: str, config_dir, timeout: float) -> tuple[int | None, str]:
    p = store.ports
    try:
        done = subprocess.run(
            [
                weed_binary(),
                f"-config_dir={config_dir}",
                "shell",
                f"-master=127.0.0.1:{p.master}.{p.master_grpc}",
                f"-filer=127.0.0.1:{p.filer}.{p.filer_grpc}",
            ],
            input=commands,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None, "no answer (gRPC without the client certificate)"
    return done.returncode, done.stdout + done.stderr


def _chunk_ids(store, bucket: str, key: str) -> list[str]:
    """The volume file ids behind a stored version, read as the store's operator (with its
    client certificate) would: what an attacker on the volume port would aim at."""
    _, listing = _shell(store, f"fs.ls /buckets/{bucket}/{key}.versions/\n", store.config_dir, 60)
    names = re.findall(r"v_[0-9a-f]+", listing)
    assert names, listing
    _, meta = _shell(
        store, f"fs.meta.cat /buckets/{bucket}/{key}.versions/{names[0]}\n", store.config_dir, 60
    )
    ids = re.findall(r'"file_?[iI]d":\s*"([0-9]+,[0-9a-f]+)"', meta)
    assert ids, meta
    return ids


def test_locked_original_cannot_be_deleted_or_unlocked_through_the_stores_other_ports(
    client, people, ctx, store_process, tmp_path
):
    data = clip_bytes(3 * MIB, seed=14)
    reg, receipt = upload(client, people.auth("device"), data)
    bucket, key, version = ctx.storage.bucket, reg["object_key"], receipt["receipt"]["version_id"]
    where = {"Bucket": bucket, "Key": key, "VersionId": version}
    lock = ctx.storage.client.get_object_retention(**where)["Retention"]
    p = store_process.ports
    fids = _chunk_ids(store_process, bucket, key)

    answers = {}
    attempts = [
        ("filer DELETE object", "DELETE", f"http://127.0.0.1:{p.filer}/buckets/{bucket}/{key}.versions/"),
        ("filer DELETE bucket", "DELETE", f"http://127.0.0.1:{p.filer}/buckets/{bucket}?recursive=true"),
        ("filer PUT over object", "PUT", f"http://127.0.0.1:{p.filer}/buckets/{bucket}/{key}"),
        ("master /col/delete", "GET", f"http://127.0.0.1:{p.master}/col/delete?collection={bucket}"),
        (
            "master /dir/lookup",
            "GET",
            f"http://127.0.0.1:{p.master}/dir/lookup?volumeId={fids[0].split(',')[0]}",
        ),
        ("master /dir/assign", "GET", f"http://127.0.0.1:{p.master}/dir/assign?collection={bucket}"),
        *((f"volume DELETE {fid}", "DELETE", f"http://127.0.0.1:{p.volume}/{fid}") for fid in fids),
        *((f"volume PUT {fid}", "PUT", f"http://127.0.0.1:{p.volume}/{fid}") for fid in fids),
    ]
    for what, method, url in attempts:
        try:
            r = httpx.request(method, url, content=b"overwritten" if method == "PUT" else None, timeout=10)
            answers[what] = r.status_code
        except httpx.HTTPError as exc:
            answers[what] = type(exc).__name__
    assert all(a in (401, 403, 404, 405) or isinstance(a, str) for a in answers.values()), answers

    nobody = tmp_path / "no-certificate"  # no security.toml: what someone without the keys has
    nobody.mkdir()
    commands = (
        f"fs.rm -r /buckets/{bucket}\n"
        f"s3.bucket.delete -name={bucket}\n"
        f"volume.deleteEmpty -force\n"
        f"collection.delete -collection={bucket} -force\n"
    )
    code, said = _shell(store_process, commands, nobody, timeout=12)
    assert code is None or code != 0 or "error" in said.lower(), said

    # whatever they tried, the version, its bytes and its lock are all still there
    assert ctx.storage.client.get_object_retention(**where)["Retention"] == lock
    assert _stored(ctx, key, version) == hashlib.sha256(data).hexdigest()
    assert ctx.storage.head(key, version).version_id == version


def test_fixity_reads_the_stores_lock_back_and_reports_drift(client, people, ctx):
    from ingest_server.fixity import service as fixity
    from ingest_server.retention_apply.models import ClipRetention

    data = clip_bytes(4096, seed=15)
    reg, receipt = upload(client, people.auth("device"), data)
    clean = fixity.check(ctx=ctx, session=ctx.sessions())
    assert (clean.checked, clean.ok, clean.mismatches) == (1, 1, [])

    # the database says the store was told a later date and a hold than the store has:
    # a store whose lock is shorter than the decision, and a hold it never got
    with ctx.sessions() as session:
        row = session.get(ClipRetention, reg["clip_id"])
        row.store_retain_until = row.store_retain_until + timedelta(days=365)
        row.store_legal_hold = True
        session.commit()
    drift = fixity.check(ctx=ctx, session=ctx.sessions())
    assert drift.ok == 0 and len(drift.mismatches) == 1
    line = drift.mismatches[0]
    assert "lock is shorter than the decision" in line and "legal hold differs" in line, line
    assert fixity.status(session=ctx.sessions())["mismatches"][0]["clip_id"] == reg["clip_id"]
