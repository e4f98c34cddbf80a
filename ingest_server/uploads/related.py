"""Related files (sidecars) on the upload path: declared at register, verified and locked at
complete, listed in the receipt. docs/sidecars.md says why it is built this way.

- `register_with_related`: `register.register`, then the clip's sidecars declared (name on
  the camera, size, sha256, kind) and one presigned PUT per file, bound to its
  `x-amz-checksum-sha256` (the store refuses other bytes), with `present` when the store
  already holds those bytes (resume). A stored clip's files come back present, no URL.
- `verify`: at completion, before the clip is stored: each declared file's size and
  checksum as the store reports them (or re-read and re-hashed) against the declaration. A
  missing file, or other bytes (whose version is removed: not evidence), refuses the
  completion (409, naming expected and actual); the agent sends that file again and
  completes again. The verified version id is committed before anything is locked.
- `lock_and_list`: the verified versions locked until the clip's retain-until, marked
  stored, and listed for the receipt. Idempotent: a completion retried after a crash
  locks the same version ids again (never a second version).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime
from pathlib import PurePosixPath

from botocore.exceptions import ClientError
from sqlalchemy.orm import Session

from hashing import Manifest
from ingest_server import object_lock
from ingest_server.auth.service import Principal
from ingest_server.clips.models import STORED, Clip
from ingest_server.context import ServerContext
from ingest_server.refusals import Why
from ingest_server.related.models import PENDING, GpsTrack, RelatedFile
from ingest_server.related.models import STORED as FILE_STORED
from ingest_server.related.schemas import GpsTrackIn, RelatedFileIn
from ingest_server.related.service import of_clip
from ingest_server.storage import StoredObject
from ingest_server.uploads import register as register_service
from ingest_server.uploads.errors import UploadRefused
from ingest_server.uploads.events import clip_event
from ingest_server.uploads.schemas import MetadataIn

_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


def related_key(clip_id: str, sha256: str, name: str) -> str:
    """Next to the original: originals/<clip>/related/<sha256><suffix>."""
    suffix = PurePosixPath(name.replace("\\", "/")).suffix
    return f"originals/{clip_id}/related/{sha256}{suffix.lower() if _SUFFIX.match(suffix) else ''}"


def checksum_b64(sha256_hex: str) -> str:
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")


def register_with_related(
    *,
    ctx: ServerContext,
    session: Session,
    device: Principal,
    manifest: Manifest,
    metadata: MetadataIn,
    related: list[RelatedFileIn],
    gps_track: GpsTrackIn | None,
    source: str | None,
) -> dict:
    """Register the clip, declare its related files and hand out their PUT URLs."""
    _check(ctx, related, gps_track)
    out = register_service.register(
        ctx=ctx, session=session, device=device, manifest=manifest, metadata=metadata, source=source
    )
    clip = session.get(Clip, out["clip_id"])
    if clip.state != STORED:
        _declare(session, clip, related, gps_track, device, source)
    out["related"] = [
        _upload_of(ctx, row)
        for row in of_clip(session=session, clip_id=clip.id, states=(PENDING, FILE_STORED))
    ]
    session.commit()
    return out


def _check(ctx: ServerContext, related: list[RelatedFileIn], track: GpsTrackIn | None) -> None:
    names = [f.name for f in related]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UploadRefused(Why.INVALID, f"related files must have distinct names (repeated: {repeated[:5]})")
    large = [f"{f.name} ({f.size} bytes)" for f in related if f.size > ctx.settings.max_related_bytes]
    if large:
        raise UploadRefused(
            Why.TOO_LARGE,
            f"related file(s) above the limit of {ctx.settings.max_related_bytes} bytes: "
            + ", ".join(large[:5]),
        )
    if track is not None and track.sidecar is not None and track.sidecar not in names:
        raise UploadRefused(
            Why.INVALID, f"gps_track.sidecar {track.sidecar!r} is not one of the related files"
        )


def _declare(
    session: Session,
    clip: Clip,
    files: list[RelatedFileIn],
    track: GpsTrackIn | None,
    device: Principal,
    source: str | None,
) -> None:
    """The declared set replaces what was declared before (nothing is stored yet)."""
    rows = {r.name: r for r in of_clip(session=session, clip_id=clip.id, states=(PENDING,))}
    wanted = {(f.name, f.size, f.sha256, f.kind) for f in files}
    if {(r.name, r.size, r.sha256, r.kind) for r in rows.values()} != wanted:
        for row in rows.values():
            session.delete(row)
        session.flush()
        for f in files:
            session.add(
                RelatedFile(
                    clip_id=clip.id,
                    name=f.name,
                    kind=f.kind,
                    size=f.size,
                    sha256=f.sha256,
                    object_key=related_key(clip.id, f.sha256, f.name),
                    state=PENDING,
                )
            )
        clip_event(
            session=session,
            device=device,
            clip=clip,
            event_type="clip.related_declared",
            outcome="success",
            source=source,
            detail={
                "related": [
                    {"name": f.name, "size": f.size, "sha256": f.sha256, "kind": f.kind} for f in files
                ]
            },
        )
    existing = session.get(GpsTrack, clip.id)
    if existing is not None:
        session.delete(existing)
        session.flush()
    if track is not None and track.points:
        points = [[p.time.isoformat(), p.lat, p.lon] for p in track.points]
        session.add(
            GpsTrack(
                clip_id=clip.id,
                sidecar_name=track.sidecar,
                point_count=len(points),
                points_json=json.dumps(points),
            )
        )
    session.flush()


def _head(ctx: ServerContext, key: str, version_id: str | None) -> StoredObject | None:
    try:
        return ctx.storage.head(key, version_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "NoSuchVersion"):
            return None
        raise


def _upload_of(ctx: ServerContext, row: RelatedFile) -> dict:
    checksum = checksum_b64(row.sha256)
    out = {
        "name": row.name,
        "object_key": row.object_key,
        "size": row.size,
        "sha256": row.sha256,
        "checksum_sha256": checksum,
        "url": None,
        "present": True,
    }
    if row.state == PENDING:
        held = _head(ctx, row.object_key, None)
        out["present"] = held is not None and held.size == row.size and held.checksum_sha256 == checksum
        out["url"] = ctx.storage.presign_put(row.object_key, checksum, ctx.settings.presign_expiry_seconds)
    return out


def _actual(ctx: ServerContext, row: RelatedFile, held: StoredObject) -> dict:
    actual = {"size": held.size, "checksum_sha256": held.checksum_sha256}
    if ctx.settings.rehash_on_complete or held.checksum_sha256 is None:
        digest = hashlib.sha256()
        for chunk in ctx.storage.read(row.object_key, held.version_id)[0]:
            digest.update(chunk)
        actual["checksum_sha256"] = checksum_b64(digest.hexdigest())
    return actual


def verify(
    *, ctx: ServerContext, session: Session, clip: Clip, device: Principal, source: str | None
) -> None:
    """Check every pending related file in the store; raise UploadRefused (conflict) naming each problem."""
    problems: list[dict] = []
    for row in of_clip(session=session, clip_id=clip.id, states=(PENDING,)):
        expected = {"size": row.size, "checksum_sha256": checksum_b64(row.sha256)}
        # the version verified by an earlier, interrupted completion is kept: never lock a second one
        held = (_head(ctx, row.object_key, row.version_id) if row.version_id else None) or _head(
            ctx, row.object_key, None
        )
        if held is None:
            problems.append(
                {"name": row.name, "problem": "not in the store", "expected": expected, "actual": None}
            )
            continue
        actual = _actual(ctx, row, held)
        if actual != expected:
            ctx.storage.delete_version(row.object_key, held.version_id)  # not evidence: never keep it
            problems.append(
                {
                    "name": row.name,
                    "problem": "other bytes",
                    "expected": expected,
                    "actual": actual,
                    "removed_version": held.version_id,
                }
            )
            row.version_id = None
            continue
        row.version_id = held.version_id
    if problems:
        clip_event(
            session=session,
            device=device,
            clip=clip,
            event_type="clip.related_rejected",
            outcome="failure",
            source=source,
            detail={"related": problems},
        )
    session.commit()
    if problems:
        words = "; ".join(
            f"{p['name']}: {p['problem']} (expected {p['expected']}, actual {p['actual']})" for p in problems
        )
        raise UploadRefused(
            Why.CONFLICT,
            f"related file(s) of clip {clip.id} do not match what was registered: {words}; "
            "a mismatching upload was removed; PUT them again and complete again",
            related=problems,
        )


def lock_and_list(
    *, ctx: ServerContext, session: Session, clip: Clip, until: datetime, now: datetime
) -> list[dict]:
    """Lock the verified related files with the clip and mark them stored (no commit); the receipt's list."""
    for row in of_clip(session=session, clip_id=clip.id, states=(PENDING,)):
        object_lock.lock_related(ctx=ctx, item=row, until=until)
        row.state, row.stored_at = FILE_STORED, now
    return [
        {
            "name": r.name,
            "sha256": r.sha256,
            "size": r.size,
            "object_key": r.object_key,
            "version_id": r.version_id,
        }
        for r in of_clip(session=session, clip_id=clip.id)
    ]
