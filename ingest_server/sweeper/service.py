"""The retention sweeper: plan (dry run) and delete, with deletion certificates.

`plan(ctx=, session=)` first catches up clips that were stored but never linked or
decided (so a missing hook can never leave a clip undecided), then decides every
clip whose recorded retention has passed and returns `retention.sweep_plan`.
`sweep(ctx, ...)` takes the lease (one sweeper across processes), and for each
planned clip decides again at that moment; if it is still deletable:
1. the certificate (clip id, sha256, size, categories, policy version, approvals,
   reasons, time) is written to the store under Object Lock;
2. the original's stored version is deleted, and those of its related files (sidecars),
   which the certificate lists;
3. the certificate row, the clip marked deleted, and the audit event commit together.
A crash between steps repeats them on the next sweep (the certificate key is
fixed per clip; a version already gone is not an error).
"""

from __future__ import annotations

import json
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from botocore.exceptions import ClientError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ingest_server import object_lock
from ingest_server.audit import service as audit
from ingest_server.audit.source import audit_source
from ingest_server.clips.models import DELETED, STORED, Clip
from ingest_server.context import ServerContext
from ingest_server.linking import service as linking
from ingest_server.related import service as related_files
from ingest_server.retention_apply import policy_store, recompute
from ingest_server.retention_apply.models import APPLIED, ChangeRequest, ClipRetention
from ingest_server.sweeper import lease
from ingest_server.sweeper.models import DeletionCertificate
from retention import SweepItem, sweep_plan
from retention.policy import add_years

CERTIFICATE_LOCK_YEARS = 10
LEASE_TTL = timedelta(minutes=10)
SYSTEM_ACTOR = "system:sweeper"


@dataclass
class SweepResult:
    dry_run: bool
    planned: list[SweepItem] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    busy: str | None = None

    def lines(self) -> list[str]:
        if self.busy:
            return [self.busy]
        verb = "would delete" if self.dry_run else "deleted"
        out = [
            f"{verb} clip {item.clip_id}: retained until {item.retain_until.isoformat()}, "
            f"categories {', '.join(item.categories)}, policy {item.policy_version}"
            for item in self.planned
            if self.dry_run or item.clip_id in self.deleted
        ]
        out += [f"kept clip {line}" for line in self.skipped] + [
            f"FAILED clip {line}" for line in self.failed
        ]
        out.append(
            f"{len(self.planned)} planned, {len(self.deleted)} deleted, {len(self.skipped)} kept on "
            f"second look, {len(self.failed)} failed"
            + (" (dry run: nothing deleted)" if self.dry_run else "")
        )
        return out


def _undecided(session: Session, limit: int) -> list[Clip]:
    decided = select(ClipRetention.clip_id)
    query = select(Clip).where(Clip.state == STORED, Clip.id.not_in(decided)).limit(limit)
    return list(session.execute(query).scalars())


def catch_up(*, ctx: ServerContext, session: Session, limit: int = 10_000) -> int:
    """Link and decide stored clips that never were (e.g. stored before the hook existed). Commits."""
    clips = _undecided(session, limit)
    now = ctx.clock()
    for clip in clips:
        linking.link_clip(session=session, clip=clip, actor=SYSTEM_ACTOR, now=now)
    if clips:
        recompute.apply(ctx=ctx, session=session, clip_ids=[c.id for c in clips], actor=SYSTEM_ACTOR, now=now)
    return len(clips)


def plan(
    *, ctx: ServerContext, session: Session, dry_run: bool = False, limit: int = 10_000
) -> list[SweepItem]:
    """What a sweep deletes now. A dry run changes nothing: the catch-up of undecided
    clips is done inside a savepoint that is rolled back."""
    if not dry_run:
        catch_up(ctx=ctx, session=session, limit=limit)
    now = ctx.clock()
    policy = policy_store.current(session=session)
    due = select(ClipRetention.clip_id).where(
        ClipRetention.deleted_at.is_(None),
        or_(ClipRetention.retain_until <= now, ClipRetention.deletable.is_(True)),
    )
    ids = list(session.execute(due).scalars())
    if not dry_run:
        return sweep_plan(recompute.decisions(session=session, clip_ids=ids, policy=policy, now=now).values())
    nested = session.begin_nested()
    try:
        undecided = _undecided(session, limit)
        for clip in undecided:
            linking.link_clip(session=session, clip=clip, actor=SYSTEM_ACTOR, now=now)
        session.flush()
        decided = recompute.decisions(
            session=session, clip_ids=ids + [c.id for c in undecided], policy=policy, now=now
        )
    finally:
        nested.rollback()
    return sweep_plan(decided.values())


def _approvals(session: Session, clip_id: str) -> list[dict]:
    rows = session.execute(
        select(ChangeRequest).where(
            ChangeRequest.status == APPLIED, ChangeRequest.dry_run_json.contains(clip_id)
        )
    ).scalars()
    return [
        {
            "change": r.id,
            "description": r.description,
            "requested_by": r.requested_by,
            "approvals": json.loads(r.approvals_json),
        }
        for r in rows
    ]


def _delete_one(ctx: ServerContext, session: Session, clip_id: str, actor: str) -> str | None:
    """Delete one clip if it is still deletable now; None when deleted, else why not."""
    now = ctx.clock()
    decision = recompute.decisions(
        session=session, clip_ids=[clip_id], policy=policy_store.current(session=session), now=now
    ).get(clip_id)
    if decision is None or not decision.deletable or decision.legal_hold:
        return f"{clip_id}: no longer deletable at {now.isoformat()}"
    clip = session.get(Clip, clip_id)
    related = related_files.of_clip(session=session, clip_id=clip.id)  # deleted with the clip only
    cert_id, cert_key = uuid.uuid4().hex, f"certificates/{clip.id}.json"
    body = {
        "certificate_id": cert_id,
        "clip_id": clip.id,
        "sha256": clip.sha256,
        "size": clip.size,
        "object_key": clip.object_key,
        "version_id": clip.version_id,
        "categories": list(decision.categories),
        "policy_version": decision.policy_version,
        "retain_until": decision.retain_until.isoformat(),
        "reasons": list(decision.reasons),
        "approvals": _approvals(session, clip.id),
        "related": [
            {
                "name": r.name,
                "sha256": r.sha256,
                "size": r.size,
                "object_key": r.object_key,
                "version_id": r.version_id,
            }
            for r in related
        ],
        "deleted_at": now.isoformat(),
        "deleted_by": actor,
    }
    text = json.dumps(body, sort_keys=True, indent=2)
    until = add_years(now, CERTIFICATE_LOCK_YEARS)
    cert_version = object_lock.put_locked_certificate(ctx=ctx, key=cert_key, body=text.encode(), until=until)
    for item in (clip, *related):
        try:
            ctx.storage.delete_version(item.object_key, item.version_id)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in ("NoSuchVersion", "NoSuchKey", "404"):
                raise
    related_files.mark_deleted(session=session, clip_id=clip.id)
    session.add(
        DeletionCertificate(
            id=cert_id,
            clip_id=clip.id,
            sha256=clip.sha256,
            size=clip.size,
            categories_json=json.dumps(body["categories"]),
            policy_version=decision.policy_version,
            approvals_json=json.dumps(body["approvals"]),
            reasons_json=json.dumps(body["reasons"]),
            object_key=clip.object_key,
            version_id=clip.version_id,
            certificate_key=cert_key,
            certificate_version_id=cert_version,
            deleted_at=now,
            deleted_by=actor,
            body_json=text,
        )
    )
    row = session.get(ClipRetention, clip.id)
    row.deleted_at, row.deletable = now, True
    clip.state = DELETED
    audit.append(
        session=session,
        source=audit_source(),
        component="retention",
        event_type="clip.deleted",
        actor=actor,
        outcome="success",
        object_type="clip",
        object_id=clip.id,
        detail={
            "certificate_id": cert_id,
            "certificate_key": cert_key,
            "sha256": clip.sha256,
            "size": clip.size,
            "policy_version": decision.policy_version,
        },
    )
    session.commit()
    return None


def sweep(
    *, ctx: ServerContext, dry_run: bool, actor: str = SYSTEM_ACTOR, holder: str | None = None, progress=None
) -> SweepResult:
    holder = holder or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
    result = SweepResult(dry_run=dry_run)
    with ctx.sessions() as session:
        if not dry_run and not lease.acquire(
            session=session, name=lease.SWEEP, holder=holder, now=ctx.clock(), ttl=LEASE_TTL
        ):
            who, until = lease.holder_of(session=session, name=lease.SWEEP)
            result.busy = f"another sweeper ({who}) is running until {until}; nothing done"
            return result
        try:
            result.planned = plan(ctx=ctx, session=session, dry_run=dry_run)
            if not dry_run:
                for n, item in enumerate(result.planned, 1):
                    lease.acquire(
                        session=session, name=lease.SWEEP, holder=holder, now=ctx.clock(), ttl=LEASE_TTL
                    )  # renew
                    try:
                        why_not = _delete_one(ctx, session, item.clip_id, actor)
                    except Exception as exc:  # one clip's failure must not stop the sweep: report it
                        session.rollback()
                        result.failed.append(f"{item.clip_id}: {exc}")
                        continue
                    (result.skipped.append(why_not) if why_not else result.deleted.append(item.clip_id))
                    if progress:
                        progress(n, len(result.planned))
            audit.append(
                session=session,
                source=audit_source(),
                component="retention",
                event_type="retention.sweep",
                actor=actor,
                outcome="success" if not result.failed else "failure",
                detail={
                    "dry_run": dry_run,
                    "planned": [i.clip_id for i in result.planned],
                    "deleted": result.deleted,
                    "skipped": result.skipped,
                    "failed": result.failed,
                },
            )
            session.commit()
        finally:
            if not dry_run:
                lease.release(session=session, name=lease.SWEEP, holder=holder)
    return result
