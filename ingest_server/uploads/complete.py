"""Complete: the store assembles the parts, then the server checks what the store
holds against the manifest before anything is called evidence.

The check is the server's own: size and composite SHA-256 as the store reports
them (or, when the store reports no checksum or `rehash_on_complete` is set, a
full re-read and re-hash). On a mismatch the completed object version is removed
(it is not evidence), the clip is marked rejected, and the refusal names the
expected and actual values. On a match: Object Lock retention, the manifest
stored beside the original, the index updated, an audit event, a signed receipt.
Completing a stored clip again returns the same receipt. The clip's related files
(sidecars) are verified, locked and listed in the receipt with it (uploads/related.py).

Two completions of one clip (an agent retrying after a timeout while the first still
verifies): the second is answered 409 with `state: "verifying"` and `retry_after` (and a
Retry-After header) while the first holds the clip in this process, or when it finds the
store's upload already assembled by the other; it is never a refusal of the bytes. A
clip left `verifying` by a completion that died is finished by the next `complete`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hashing import manifest as manifest_io
from hashing import part_checksum_b64
from ingest_server import object_lock
from ingest_server.auth.service import Principal
from ingest_server.clips.models import REJECTED, STORED, UPLOADING, VERIFYING, Clip
from ingest_server.context import ServerContext
from ingest_server.media_types import HEAD_BYTES, refusal, sniff
from ingest_server.refusals import Why
from ingest_server.uploads import related
from ingest_server.uploads.after_store import after_clip_stored
from ingest_server.uploads.errors import UploadRefused
from ingest_server.uploads.events import clip_event

_held: set[str] = set()  # clip ids a completion in this process is working on
_held_lock = threading.Lock()


@contextmanager
def _hold(ctx: ServerContext, clip_id: str) -> Iterator[None]:
    with _held_lock:
        if clip_id in _held:
            raise _busy(ctx, clip_id)
        _held.add(clip_id)
    try:
        yield
    finally:
        with _held_lock:
            _held.discard(clip_id)


def _busy(ctx: ServerContext, clip_id: str) -> UploadRefused:
    wait = ctx.settings.completion_retry_after_seconds
    return UploadRefused(
        Why.CONFLICT,
        f"clip {clip_id} is being completed by another request (assembled, verifying); "
        f"nothing to upload: call complete again in {wait} s for its receipt",
        state=VERIFYING,
        retry_after=wait,
    )


def _check_part_list(clip: Clip, parts: list[tuple[int, str]]) -> None:
    expected = set(range(1, len(json.loads(clip.manifest_json)["parts"]) + 1))
    given = [n for n, _ in parts]
    if sorted(given) != sorted(expected):
        missing = sorted(expected - set(given))
        extra = sorted(set(given) - expected)
        dupes = sorted({n for n in given if given.count(n) > 1})
        raise UploadRefused(
            Why.INVALID,
            f"parts must list each of 1..{len(expected)} once "
            f"(missing {missing[:20]}, unexpected {extra[:20]}, repeated {dupes[:20]})",
        )


def _assemble(
    ctx: ServerContext,
    session: Session,
    clip: Clip,
    parts: list[tuple[int, str]],
    device: Principal,
    source: str | None,
) -> None:
    manifest = manifest_io.loads(clip.manifest_json)
    triples = [(n, etag, part_checksum_b64(manifest.parts[n - 1])) for n, etag in sorted(parts)]
    try:
        version_id = ctx.storage.complete(clip.object_key, clip.upload_id, triples)
    except ClientError as exc:
        session.refresh(clip)
        if clip.state != UPLOADING:  # another completion assembled it meanwhile
            raise _busy(ctx, clip.id) from exc
        error = exc.response.get("Error", {})
        raise UploadRefused(
            Why.CONFLICT,
            f"the store refused to complete the upload ({error.get('Code')}: "
            f"{error.get('Message')}); re-register to see which parts it holds",
        ) from exc
    clip.state, clip.version_id = VERIFYING, version_id
    clip_event(
        session=session,
        device=device,
        clip=clip,
        event_type="clip.assembled",
        outcome="success",
        source=source,
        detail={"upload_id": clip.upload_id, "version_id": version_id},
    )
    session.commit()


def _compare(ctx: ServerContext, clip: Clip) -> tuple[dict, dict]:
    manifest = manifest_io.loads(clip.manifest_json)
    stored = ctx.storage.head(clip.object_key, clip.version_id)
    n = len(manifest.parts)
    expected = {"size": manifest.size, "composite": manifest.composite}
    actual = {
        "size": stored.size,
        "composite": f"{stored.checksum_sha256}-{n}" if stored.checksum_sha256 else None,
    }
    if ctx.settings.rehash_on_complete or stored.checksum_sha256 is None:
        digest = ctx.storage.rehash(clip.object_key, clip.version_id, manifest.part_size)
        expected["sha256"], actual["sha256"] = manifest.sha256, digest.sha256
        actual["composite"] = digest.s3_composite
    return expected, actual


def _reject(
    ctx: ServerContext,
    session: Session,
    clip: Clip,
    expected: dict,
    actual: dict,
    device: Principal,
    source: str | None,
) -> UploadRefused:
    ctx.storage.delete_version(clip.object_key, clip.version_id)  # not evidence: never keep it
    differs = ", ".join(
        f"{k}: expected {expected[k]}, actual {actual.get(k)}"
        for k in expected
        if expected[k] != actual.get(k)
    )
    detail = (
        f"the stored object does not match the manifest ({differs}); "
        "it was removed and the clip is not stored"
    )
    clip.state, clip.upload_id, clip.rejection = REJECTED, None, detail
    clip_event(
        session=session,
        device=device,
        clip=clip,
        event_type="clip.rejected",
        outcome="failure",
        source=source,
        detail={"expected": expected, "actual": actual, "removed_version": clip.version_id},
    )
    clip.version_id = None
    session.commit()
    return UploadRefused(Why.CONFLICT, detail, expected=expected, actual=actual)


def _head(ctx: ServerContext, clip: Clip) -> bytes:
    chunks, _ = ctx.storage.read(clip.object_key, clip.version_id, (0, min(HEAD_BYTES, clip.size) - 1))
    return b"".join(chunks)


def _refuse_container(
    ctx: ServerContext, session: Session, clip: Clip, why: str, device: Principal, source: str | None
) -> UploadRefused:
    """Bytes that are not a whitelisted video container are not evidence this server serves:
    the version is removed (no receipt was given, so the car still holds its copy)."""
    ctx.storage.delete_version(clip.object_key, clip.version_id)
    detail = f"{why}; the upload was removed and the clip is not stored"
    clip.state, clip.upload_id, clip.rejection = REJECTED, None, detail
    clip_event(
        session=session,
        device=device,
        clip=clip,
        event_type="clip.rejected",
        outcome="failure",
        source=source,
        detail={"reason": why, "removed_version": clip.version_id},
    )
    clip.version_id = None
    session.commit()
    return UploadRefused(Why.INVALID, detail)


def _store(ctx: ServerContext, session: Session, clip: Clip, device: Principal, source: str | None) -> dict:
    now = ctx.clock()
    until = object_lock.lock_new_clip(ctx=ctx, clip=clip, now=now)
    related_files = related.lock_and_list(ctx=ctx, session=session, clip=clip, until=until, now=now)
    receipt = {
        "clip_id": clip.id,
        "sha256": clip.sha256,
        "size": clip.size,
        "object_key": clip.object_key,
        "version_id": clip.version_id,
        "stored_at": now.isoformat().replace("+00:00", "Z"),
        "device_id": clip.device_id,
    }
    if related_files:  # the receipt covers the sidecars too
        receipt["related"] = related_files
    signed = ctx.signer.sign(receipt)
    clip.state, clip.stored_at, clip.retain_until, clip.upload_id = STORED, now, until, None
    clip.receipt_json = json.dumps(signed, sort_keys=True)
    clip_event(
        session=session,
        device=device,
        clip=clip,
        event_type="clip.stored",
        outcome="success",
        source=source,
        detail={
            "sha256": clip.sha256,
            "size": clip.size,
            "version_id": clip.version_id,
            "retain_until": until.isoformat(),
            "lock_mode": ctx.settings.object_lock_mode,
            "key_id": signed["key_id"],
        },
    )
    session.commit()
    # link to its reports, apply its retention (never fails)
    after_clip_stored(ctx=ctx, session=session, clip=clip, source=source)
    return signed


def _complete(
    *,
    ctx: ServerContext,
    session: Session,
    device: Principal,
    clip_id: str,
    parts: list[tuple[int, str]],
    source: str | None,
) -> dict:
    clip = session.get(Clip, clip_id)
    if clip is None:
        raise UploadRefused(Why.NOT_FOUND, f"no clip {clip_id}")
    if clip.device_id != device.id:
        raise UploadRefused(Why.FORBIDDEN, f"forbidden: clip {clip_id} was registered by another device")
    if clip.state == STORED:
        return json.loads(clip.receipt_json)
    if clip.state == REJECTED:
        raise UploadRefused(
            Why.CONFLICT,
            f"clip {clip_id} was rejected ({clip.rejection}); register it again to start a fresh upload",
        )
    session.commit()
    with _hold(ctx, clip.id):  # one completion of a clip at a time in this process
        session.refresh(clip)  # as it is now that we hold it
        session.commit()  # no database lock held across store calls
        if clip.state == STORED:
            return json.loads(clip.receipt_json)
        if clip.state == UPLOADING:
            _check_part_list(clip, parts)
            _assemble(ctx, session, clip, parts, device, source)
        elif clip.state != VERIFYING:
            raise UploadRefused(Why.CONFLICT, f"clip {clip.id} is {clip.state}; register it again")
        expected, actual = _compare(ctx, clip)
        if expected != actual:
            raise _reject(ctx, session, clip, expected, actual, device, source)
        related.verify(ctx=ctx, session=session, clip=clip, device=device, source=source)
        head = _head(ctx, clip) if clip.size else b""
        why = refusal(head, set(ctx.settings.allowed_containers))
        if why:
            raise _refuse_container(ctx, session, clip, why, device, source)
        found = sniff(head)
        clip.media_container = found.name if found else None
        return _store(ctx, session, clip, device, source)


def complete(
    *,
    ctx: ServerContext,
    session: Session,
    device: Principal,
    clip_id: str,
    parts: list[tuple[int, str]],
    source: str | None,
) -> dict:
    try:
        return _complete(ctx=ctx, session=session, device=device, clip_id=clip_id, parts=parts, source=source)
    except StaleDataError as exc:
        session.rollback()
        clip = session.get(Clip, clip_id)
        if clip is not None and clip.state == STORED:  # the other completion stored it
            return json.loads(clip.receipt_json)
        if clip is not None and clip.state == VERIFYING:
            raise _busy(ctx, clip_id) from exc
        raise UploadRefused(
            Why.CONFLICT,
            f"clip {clip_id} was changed by a concurrent request; call complete again for its receipt",
        ) from exc
