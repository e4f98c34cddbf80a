"""Fixity: re-read stored originals and their related files (sidecars), re-hash
them with `hashing/`, compare with the index, and record every mismatch in the
audit log and in status.

For each clip checked (all, or a random `sample` fraction), and for each of its
stored related files with it (the same checks but the composite, which a
single-PUT sidecar does not have):
- the stored version is read back and hashed (whole-file SHA-256 and the S3
  composite of its parts), and compared with the index;
- the object's key is listed: any other version or delete marker on it means
  something wrote to the evidence key behind the server's back;
- a missing version is a mismatch too;
- the version's Object Lock in the store (retention mode, retain-until, legal hold) is
  compared with what the database says the store was told (fixity/locks.py): a lock
  shorter than the decision, a changed mode or a lost hold is drift, reported as a
  mismatch. `fixity_compare_locks=false` skips this, for a store that cannot report
  its locks (`evidence-server store check` says which). A related file follows
  its clip's lock, so it is compared with the clip's.
A related file's problem is one of its clip's problems, naming the file
("related file <name> (<key>): ..."): one result row and one `fixity.mismatch`
per clip, whose detail lists the failing files with both hashes.
The store is not trusted: only what the server re-computes and reads back counts.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from botocore.exceptions import ClientError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hashing import Digest
from ingest_server.audit import service as audit
from ingest_server.audit.source import audit_source
from ingest_server.clips.models import STORED, Clip
from ingest_server.context import ServerContext
from ingest_server.fixity.locks import LockState, lock_drift
from ingest_server.fixity.models import FixityResult
from ingest_server.object_lock import LockedObject
from ingest_server.related import service as related_files
from ingest_server.retention_apply.models import ClipRetention

SYSTEM_ACTOR = "system:fixity"


@dataclass
class FixityRun:
    run_id: str
    checked: int = 0
    related_checked: int = 0
    ok: int = 0
    mismatches: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            *(f"MISMATCH {m}" for m in self.mismatches),
            f"fixity run {self.run_id}: {self.checked} checked, {self.ok} intact, "
            f"{len(self.mismatches)} mismatched (with {self.related_checked} related files)",
        ]


def _other_versions(ctx: ServerContext, item: LockedObject) -> list[str]:
    client, bucket = ctx.storage.client, ctx.storage.bucket
    found = []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=item.object_key):
        for kind in ("Versions", "DeleteMarkers"):
            for v in page.get(kind, []):
                if v["Key"] == item.object_key and v.get("VersionId") != item.version_id:
                    found.append(
                        f"{'delete marker' if kind == 'DeleteMarkers' else 'version'} {v.get('VersionId')}"
                    )
    return found


# what stores answer for a version with no retention / no legal hold set (AWS, SeaweedFS)
NO_LOCK_CODES = (
    "NoSuchObjectLockConfiguration",
    "ObjectLockConfigurationNotFoundError",
    "NoSuchObjectLegalHold",
)


def _expected_lock(*, ctx: ServerContext, session: Session, clip: Clip) -> LockState:
    row = session.get(ClipRetention, clip.id)
    until = row.store_retain_until if row is not None else clip.retain_until
    hold = bool(row.store_legal_hold) if row is not None else False
    return LockState(ctx.settings.object_lock_mode if until else None, until, hold)


def _stored_lock(*, ctx: ServerContext, item: LockedObject) -> LockState:
    client, where = ctx.storage.client, {"Bucket": ctx.storage.bucket, "Key": item.object_key}
    if item.version_id:
        where["VersionId"] = item.version_id
    try:
        retention = client.get_object_retention(**where).get("Retention", {})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in NO_LOCK_CODES:
            raise
        retention = {}
    try:
        hold = client.get_object_legal_hold(**where).get("LegalHold", {}).get("Status") == "ON"
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in NO_LOCK_CODES:
            raise
        hold = False
    return LockState(retention.get("Mode"), retention.get("RetainUntilDate"), hold)


def lock_problems(
    *, ctx: ServerContext, session: Session, clip: Clip, item: LockedObject | None = None
) -> list[str]:
    """How the store's lock on the clip's version, or on `item` (one of its related files, which
    follows the clip's lock), differs from what the database decided for the clip."""
    if not ctx.settings.fixity_compare_locks:
        return []
    try:
        stored = _stored_lock(ctx=ctx, item=item or clip)
    except ClientError as exc:
        return [f"the store cannot report the version's lock: {exc.response.get('Error', {}).get('Code')}"]
    return lock_drift(expected=_expected_lock(ctx=ctx, session=session, clip=clip), stored=stored)


MISSING_CODES = ("404", "NoSuchKey", "NoSuchVersion", "NotFound")


def _read_back(
    *, ctx: ServerContext, item: LockedObject, sha256: str, size: int, part_size: int, composite: str | None
) -> tuple[Digest | None, list[str]]:
    """(the stored version's digest, or None when unreadable; problems) of one indexed object;
    `composite`: the S3 composite the index holds (None: a single-PUT object has none)."""
    problems, digest = [], None
    try:
        digest = ctx.storage.rehash(item.object_key, item.version_id, part_size)
        if digest.sha256 != sha256:
            problems.append(f"sha256 differs: index {sha256}, store {digest.sha256}")
        elif digest.size != size:
            problems.append(f"size differs: index {size} bytes, store {digest.size}")
        elif composite is not None and digest.s3_composite != composite:
            problems.append(f"composite differs: index {composite}, store {digest.s3_composite}")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        gone = code in MISSING_CODES
        problems.append(f"the stored version {'is missing' if gone else 'cannot be read'}: {code}")
    others = _other_versions(ctx, item) if item.version_id else []
    if others:
        problems.append(f"the key was written behind the server: {', '.join(others)}")
    return digest, problems


def check_clip(*, ctx: ServerContext, clip: Clip) -> tuple[str | None, list[str]]:
    """(actual sha256 or None, problems) for one clip's original."""
    digest, problems = _read_back(
        ctx=ctx,
        item=clip,
        sha256=clip.sha256,
        size=clip.size,
        part_size=clip.part_size,
        composite=clip.composite,
    )
    return (digest.sha256 if digest else None), problems


def check_related(*, ctx: ServerContext, session: Session, clip: Clip) -> tuple[int, list[dict]]:
    """(how many stored related files of `clip` were checked, those that failed:
    [{name, object_key, version_id, expected_sha256, actual_sha256, problems}])."""
    rows = related_files.of_clip(session=session, clip_id=clip.id)
    failed = []
    for row in rows:
        digest, problems = _read_back(
            ctx=ctx, item=row, sha256=row.sha256, size=row.size, part_size=clip.part_size, composite=None
        )
        if digest is not None:  # a version that is gone has no lock to compare
            problems += lock_problems(ctx=ctx, session=session, clip=clip, item=row)
        if problems:
            failed.append(
                {
                    "name": row.name,
                    "object_key": row.object_key,
                    "version_id": row.version_id,
                    "expected_sha256": row.sha256,
                    "actual_sha256": digest.sha256 if digest else None,
                    "problems": problems,
                }
            )
    return len(rows), failed


def check(
    *,
    ctx: ServerContext,
    session: Session,
    sample: float = 1.0,
    rng: random.Random | None = None,
    actor: str = SYSTEM_ACTOR,
    progress=None,
) -> FixityRun:
    if not 0 < sample <= 1:
        raise ValueError(f"sample must be a fraction in (0, 1], got {sample}")
    rng = rng or random.Random()
    ids = list(session.execute(select(Clip.id).where(Clip.state == STORED).order_by(Clip.id)).scalars())
    chosen = ids if sample >= 1 else sorted(rng.sample(ids, max(1, round(len(ids) * sample)) if ids else 0))
    run = FixityRun(uuid.uuid4().hex)
    for n, clip_id in enumerate(chosen, 1):
        clip = session.get(Clip, clip_id)
        actual, problems = check_clip(ctx=ctx, clip=clip)
        problems += lock_problems(ctx=ctx, session=session, clip=clip)
        related_count, related = check_related(ctx=ctx, session=session, clip=clip)
        problems += [
            f"related file {r['name']} ({r['object_key']}): {p}" for r in related for p in r["problems"]
        ]
        run.checked += 1
        run.related_checked += related_count
        session.add(
            FixityResult(
                run_id=run.run_id,
                clip_id=clip.id,
                checked_at=ctx.clock(),
                ok=not problems,
                expected_sha256=clip.sha256,
                actual_sha256=actual,
                problem="; ".join(problems) or None,
            )
        )
        if problems:
            run.mismatches.append(f"clip {clip.id} ({clip.object_key}): {'; '.join(problems)}")
            audit.append(
                session=session,
                source=audit_source(),
                component="fixity",
                event_type="fixity.mismatch",
                actor=actor,
                outcome="failure",
                object_type="clip",
                object_id=clip.id,
                detail={
                    "expected_sha256": clip.sha256,
                    "actual_sha256": actual,
                    "problems": problems,
                    "related": related,
                },
            )
        else:
            run.ok += 1
        session.commit()
        if progress:
            progress(n, len(chosen))
    audit.append(
        session=session,
        source=audit_source(),
        component="fixity",
        event_type="fixity.run",
        actor=actor,
        outcome="success" if not run.mismatches else "failure",
        object_type="fixity_run",
        object_id=run.run_id,
        detail={
            "sample": sample,
            "checked": run.checked,
            "related_checked": run.related_checked,
            "mismatched": len(run.mismatches),
        },
    )
    session.commit()
    return run


def status(*, session: Session) -> dict:
    """The last run and every clip whose latest check failed."""
    last = session.execute(
        select(FixityResult.run_id, func.max(FixityResult.checked_at))
        .group_by(FixityResult.run_id)
        .order_by(func.max(FixityResult.checked_at).desc())
        .limit(1)
    ).first()
    latest = (
        select(FixityResult.clip_id, func.max(FixityResult.id).label("id"))
        .group_by(FixityResult.clip_id)
        .subquery()
    )
    failing = (
        session.execute(
            select(FixityResult)
            .join(latest, FixityResult.id == latest.c.id)
            .where(FixityResult.ok.is_(False))
        )
        .scalars()
        .all()
    )
    return {
        "last_run": last[0] if last else None,
        "last_checked_at": last[1] if last else None,
        "mismatches": [
            {
                "clip_id": r.clip_id,
                "checked_at": r.checked_at,
                "expected_sha256": r.expected_sha256,
                "actual_sha256": r.actual_sha256,
                "problem": r.problem,
            }
            for r in failing
        ],
    }
