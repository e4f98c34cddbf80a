"""Object Lock: the one module that writes retention or legal holds to the store.

- `lock_new_clip`: at completion, the original and its manifest are locked for
  `object_lock_days` (at least 90) in the configured mode.
- `extend_clip_lock`: retention recomputation moves the original's retain-until
  forward to the decision's floor, never backward (`retention.store_retain_until`
  against what the database says the store has).
- `set_clip_legal_hold`: retention recomputation sets or clears the legal hold.
- `lock_related`: at completion, each related file (sidecar) of the clip locked until the
  clip's retain-until; `extend_clip_lock` and `set_clip_legal_hold` take the clip's related
  files (`related=`) and give them the same retain-until and hold as the original.
- `put_locked_certificate`: a deletion certificate, itself locked for years.
- `put_locked_derived`: a derived copy (redacted or signed), checksum-bound and locked;
  `locked_derived`: the copy already at a derived key, with its retain-until.
- `put_locked_checkpoint`: a signed checkpoint of the audit chain head, locked for years.

`storage.py` holds the S3 calls; callers never call `Storage.lock` or
`put_object_legal_hold` themselves.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from botocore.exceptions import ClientError

from ingest_server.clips.models import Clip
from ingest_server.context import ServerContext
from retention import store_retain_until


def lock_new_clip(*, ctx: ServerContext, clip: Clip, now: datetime) -> datetime:
    """Lock a just-completed original and store its manifest locked beside it; returns the retain-until.

    Idempotent across a server crash: a completion retried after the original was
    locked keeps that lock, and one retried after the manifest was stored (same
    bytes, by its SHA-256) writes no second locked version, which could never be
    deleted."""
    until = now + timedelta(days=ctx.settings.object_lock_days)
    mode = ctx.settings.object_lock_mode
    held = _held_until(ctx, clip)
    if held is None:
        ctx.storage.lock(clip.object_key, clip.version_id, mode, until)
    else:
        until = held  # locked by the completion a crash interrupted: kept as it is
    key, body = f"manifests/{clip.id}.json", clip.manifest_json.encode("ascii")
    if not _already_stored(ctx, key, body):
        ctx.storage.put_locked(key, body, mode, until, "application/json")
    return until


def _held_until(ctx: ServerContext, clip: Clip) -> datetime | None:
    """The original's retain-until if it is already locked, else None."""
    return _version_held_until(ctx, clip.object_key, clip.version_id)


def _version_held_until(ctx: ServerContext, key: str, version_id: str | None) -> datetime | None:
    kwargs = {"VersionId": version_id} if version_id else {}
    head = ctx.storage.client.head_object(Bucket=ctx.storage.bucket, Key=key, **kwargs)
    return head.get("ObjectLockRetainUntilDate") if head.get("ObjectLockMode") else None


class LockedObject(Protocol):
    """A stored object that follows its clip's lock (a related file's row)."""

    object_key: str
    version_id: str | None


def lock_related(*, ctx: ServerContext, item: LockedObject, until: datetime) -> datetime:
    """Lock one verified related file until its clip's retain-until; returns the retain-until it keeps.

    Idempotent across a crash: a version already locked (by a completion that did not
    commit) keeps its lock; only the version the index names is ever locked."""
    held = _version_held_until(ctx, item.object_key, item.version_id)
    if held is not None and held >= until:
        return held
    ctx.storage.lock(item.object_key, item.version_id, ctx.settings.object_lock_mode, until)
    return until


def _already_stored(ctx: ServerContext, key: str, body: bytes) -> bool:
    try:
        held = ctx.storage.head(key, None)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return (
        held.size == len(body)
        and held.checksum_sha256 == base64.b64encode(hashlib.sha256(body).digest()).decode()
    )


def extend_clip_lock(
    *,
    ctx: ServerContext,
    clip: Clip,
    in_store: datetime | None,
    desired: datetime,
    related: Sequence[LockedObject] = (),
) -> datetime:
    """The retain-until the store keeps after this call: `desired`, unless the store already keeps longer.
    The clip's related files get the same retain-until (they were locked with it at completion)."""
    target = store_retain_until(in_store, desired)
    if in_store is None or target > in_store:
        mode = ctx.settings.object_lock_mode
        for item in (clip, *related):
            ctx.storage.lock(item.object_key, item.version_id, mode, target)
    return target


def set_clip_legal_hold(
    *, ctx: ServerContext, clip: Clip, on: bool, related: Sequence[LockedObject] = ()
) -> None:
    """Set or clear the legal hold on the original and on each of its related files."""
    for item in (clip, *related):
        kwargs = {"VersionId": item.version_id} if item.version_id else {}
        ctx.storage.client.put_object_legal_hold(
            Bucket=ctx.storage.bucket,
            Key=item.object_key,
            LegalHold={"Status": "ON" if on else "OFF"},
            **kwargs,
        )


def put_locked_certificate(*, ctx: ServerContext, key: str, body: bytes, until: datetime) -> str | None:
    """Store a deletion certificate under Object Lock until `until`; returns its version id."""
    return ctx.storage.put_locked(key, body, ctx.settings.object_lock_mode, until, "application/json")


def put_locked_derived(*, ctx: ServerContext, key: str, path, sha256: str, now: datetime):
    """Store a derived object (a redacted or signed copy) bound to its SHA-256 and locked for
    `object_lock_days`, as an original is; returns (StoredObject, retain-until)."""
    until = now + timedelta(days=ctx.settings.object_lock_days)
    stored = ctx.storage.put_verified(key, path, sha256, ctx.settings.object_lock_mode, until, "video/mp4")
    return stored, until


def put_locked_checkpoint(*, ctx: ServerContext, key: str, body: bytes, until: datetime) -> str | None:
    """Store a signed audit checkpoint under Object Lock until `until`; returns its version id."""
    return ctx.storage.put_locked(key, body, ctx.settings.object_lock_mode, until, "application/json")


def locked_derived(*, ctx: ServerContext, key: str):
    """The derived copy already stored at `key` (an earlier attempt of a killed job) as
    (StoredObject, retain-until), or None when the key holds nothing."""
    try:
        stored = ctx.storage.head(key, None)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    kwargs = {"VersionId": stored.version_id} if stored.version_id else {}
    retention = ctx.storage.client.get_object_retention(Bucket=ctx.storage.bucket, Key=key, **kwargs)
    return stored, retention["Retention"]["RetainUntilDate"]
