"""Upload paths that recover: a completion interrupted after the store assembled the
object resumes on the next call; a store that reports no checksum gets the object
re-read and re-hashed; two registrations racing for the same clip end with one clip
and one live upload; an access that cannot be audited is refused."""

from __future__ import annotations

import contextlib
import threading

from botocore.exceptions import ClientError

from ingest_server.audit import middleware
from ingest_server.uploads import register as register_service
from ingest_server.uploads.schemas import MetadataIn
from tests.ingest_server.helpers import clip_bytes, manifest_for, metadata, put_parts, register


def _complete(client, people, clip_id, etags):
    return client.post(
        f"/api/v1/uploads/{clip_id}/complete", headers=people.auth("device"), json={"parts": etags}
    )


def test_completion_interrupted_after_assembly_resumes(client, people, ctx, monkeypatch):
    data = clip_bytes(4000)
    reg = register(client, people.auth("device"), data).json()
    etags = put_parts(reg, data)
    real_lock = ctx.storage.lock

    def lock_fails(*args, **kwargs):
        raise ClientError(
            {"Error": {"Code": "ServiceUnavailable", "Message": "try later"}}, "PutObjectRetention"
        )

    monkeypatch.setattr(ctx.storage, "lock", lock_fails)
    failed = _complete(client, people, reg["clip_id"], etags)
    assert failed.status_code == 502 and "ServiceUnavailable" in failed.json()["detail"]
    clip = client.get(f"/api/v1/clips/{reg['clip_id']}", headers=people.auth("custodian")).json()
    assert clip["state"] == "verifying" and clip["version_id"]  # assembled, correct bytes kept

    again = register(client, people.auth("device"), data).json()  # the agent restarts and re-registers
    assert again["clip_id"] == reg["clip_id"] and all(p["present"] for p in again["parts"])
    monkeypatch.setattr(ctx.storage, "lock", real_lock)
    done = _complete(client, people, reg["clip_id"], etags)
    assert done.status_code == 200 and done.json()["receipt"]["version_id"] == clip["version_id"]


def test_racing_registrations_end_with_one_clip_and_one_upload(ctx, people, monkeypatch):
    from ingest_server.auth.service import principal_for_token

    data = clip_bytes(2000, seed=9)
    manifest = manifest_for(data)
    with ctx.sessions() as session:
        device = principal_for_token(session=session, token=people["device"])
    both_looked = threading.Barrier(2, timeout=10)
    real_create = ctx.storage.create_upload

    def create_after_both_looked(*args):
        both_looked.wait()  # both requests saw "no such clip yet"
        return real_create(*args)

    monkeypatch.setattr(ctx.storage, "create_upload", create_after_both_looked)
    results, errors = [], []

    def one():
        try:
            with ctx.sessions() as session:
                results.append(
                    register_service.register(
                        ctx=ctx,
                        session=session,
                        device=device,
                        manifest=manifest,
                        metadata=MetadataIn(**metadata()),
                        source="test",
                    )
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results[0]["clip_id"] == results[1]["clip_id"]
    assert results[0]["upload_id"] == results[1]["upload_id"]
    uploads = ctx.storage.client.list_multipart_uploads(Bucket=ctx.storage.bucket).get("Uploads", [])
    assert [u["UploadId"] for u in uploads] == [results[0]["upload_id"]]  # the loser's upload was aborted


def test_access_that_cannot_be_audited_is_refused(client, people, monkeypatch):
    def broken(self, scope, status):
        raise RuntimeError("audit database unavailable")

    monkeypatch.setattr(middleware.AuditMiddleware, "_record", broken)
    response = client.get("/api/v1/me", headers=people.auth("custodian"))
    assert response.status_code == 503 and "audit log cannot be written" in response.json()["detail"]
    assert "custodian" not in response.text


def test_changed_manifest_while_uploading_starts_over(client, people, ctx):
    data = clip_bytes(5 * 1024 * 1024 + 100, seed=11)
    first = register(client, people.auth("device"), data).json()  # one 8 MiB part
    assert len(first["parts"]) == 1
    put_parts(first, data)
    second = register(client, people.auth("device"), data, part_size=5 * 1024 * 1024).json()
    assert second["clip_id"] == first["clip_id"] and second["upload_id"] != first["upload_id"]
    assert [p["present"] for p in second["parts"]] == [False, False]
    uploads = ctx.storage.client.list_multipart_uploads(Bucket=ctx.storage.bucket).get("Uploads", [])
    assert [u["UploadId"] for u in uploads] == [second["upload_id"]]  # the old one was aborted
    done = _complete(client, people, second["clip_id"], put_parts(second, data))
    assert done.status_code == 200
    manifest = client.get(f"/api/v1/clips/{second['clip_id']}/manifest", headers=people.auth("custodian"))
    assert manifest.json()["part_size"] == 5 * 1024 * 1024


def test_racing_completions_in_two_processes_give_one_receipt(client, people, ctx, monkeypatch):
    """Each completion in its own server process (no shared hold: both verify); the one
    that loses the race to store answers the winner's receipt, not a refusal."""
    from ingest_server.auth.service import principal_for_token
    from ingest_server.uploads import complete as complete_service
    from ingest_server.uploads.errors import UploadRefused

    data = clip_bytes(2500, seed=12)
    reg = register(client, people.auth("device"), data).json()
    etags = put_parts(reg, data)
    real_lock = ctx.storage.lock

    def lock_fails(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "later"}}, "PutObjectRetention")

    monkeypatch.setattr(ctx.storage, "lock", lock_fails)
    assert _complete(client, people, reg["clip_id"], etags).status_code == 502  # now "verifying"

    both_verified = threading.Barrier(2, timeout=10)

    def lock_after_both_verified(*args, **kwargs):
        both_verified.wait()  # both requests are past the checks, about to store
        return real_lock(*args, **kwargs)

    monkeypatch.setattr(ctx.storage, "lock", lock_after_both_verified)
    monkeypatch.setattr(complete_service, "_hold", lambda ctx, clip_id: contextlib.nullcontext())
    with ctx.sessions() as session:
        device = principal_for_token(session=session, token=people["device"])
    outcomes = []

    def one():
        with ctx.sessions() as session:
            try:
                outcomes.append(
                    complete_service.complete(
                        ctx=ctx, session=session, device=device, clip_id=reg["clip_id"], parts=[], source="t"
                    )
                )
            except UploadRefused as exc:
                outcomes.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    receipts = [o for o in outcomes if isinstance(o, dict)]
    assert len(receipts) == 2 and receipts[0] == receipts[1], outcomes
    final = _complete(client, people, reg["clip_id"], etags)
    assert final.status_code == 200 and final.json() == receipts[0]


def test_a_part_listed_with_another_checksum_is_not_present():
    assert register_service._held((10, None), 10, "abc=")  # store lists no checksum: size decides
    assert register_service._held((10, "abc="), 10, "abc=")
    assert not register_service._held((10, "xyz="), 10, "abc=")
    assert not register_service._held((9, "abc="), 10, "abc=")
    assert not register_service._held(None, 10, "abc=")
