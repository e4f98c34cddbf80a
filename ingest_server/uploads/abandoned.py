"""Abandoned multipart uploads: found in the store and aborted after a grace period, audited.

A server killed right after CreateMultipartUpload (before the clip's upload id was
committed), or a clip whose upload was replaced, leaves a multipart upload that no
clip will ever complete; its parts cost storage for ever. `abandoned` is the pure
rule: an upload in the store is abandoned when it is older than `grace` and no clip
in state "uploading" names it as its current upload. `abort_abandoned` lists the
store's open uploads, aborts those, and writes one audit event per abort
(component "uploads", event "upload.aborted_abandoned", with key, upload id and age);
with `dry_run` it only says which it would abort.
A clip's bytes are never touched: only parts of uploads that nothing will complete.

Who calls it: `evidence-server uploads abort-abandoned` (uploads_cli.py), and the
job worker every `abandoned_uploads_every_seconds` (the job `sweep_job`, kind
`uploads.abort_abandoned`, scheduled by jobs/worker.py from job_kinds.py:PERIODIC).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ingest_server.audit import service as audit
from ingest_server.clips.models import UPLOADING, Clip
from ingest_server.context import ServerContext
from ingest_server.jobs.runner import JobRun


@dataclass(frozen=True)
class OpenUpload:
    key: str
    upload_id: str
    initiated: datetime


def abandoned(
    uploads: Iterable[OpenUpload], *, live: set[str], now: datetime, grace: timedelta
) -> list[OpenUpload]:
    """The open uploads no uploading clip names (`live`: their upload ids) and older than `grace`."""
    return [u for u in uploads if u.upload_id not in live and now - u.initiated >= grace]


def _open_uploads(ctx: ServerContext) -> list[OpenUpload]:
    found, kwargs = [], {}
    while True:
        page = ctx.storage.client.list_multipart_uploads(Bucket=ctx.storage.bucket, **kwargs)
        found += [OpenUpload(u["Key"], u["UploadId"], u["Initiated"]) for u in page.get("Uploads", [])]
        if not page.get("IsTruncated"):
            return found
        kwargs = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}


def abort_abandoned(
    *, ctx: ServerContext, grace: timedelta, actor: str = "system", dry_run: bool = False
) -> list[OpenUpload]:
    """Abort every abandoned multipart upload; returns those aborted (each audited), or with
    `dry_run` those it would abort (nothing aborted, nothing audited)."""
    now = ctx.clock()
    with ctx.sessions() as session:
        live = {
            u for u in session.scalars(select(Clip.upload_id).where(Clip.state == UPLOADING)) if u is not None
        }
        gone = abandoned(_open_uploads(ctx), live=live, now=now, grace=grace)
        session.rollback()  # no database lock held across the store calls
        for u in [] if dry_run else gone:
            ctx.storage.abort(u.key, u.upload_id)
            audit.append(
                session=session,
                component="uploads",
                event_type="upload.aborted_abandoned",
                actor=actor,
                outcome="success",
                object_type="upload",
                object_id=u.upload_id,
                source=None,
                detail={
                    "key": u.key,
                    "initiated": u.initiated.isoformat(),
                    "age_seconds": (now - u.initiated).total_seconds(),
                },
            )
        session.commit()
    return gone


def sweep_job(run: JobRun) -> dict:
    """The periodic job: abort what is abandoned past the configured grace."""
    grace = timedelta(seconds=run.ctx.settings.abandoned_uploads_grace_seconds)
    gone = abort_abandoned(ctx=run.ctx, grace=grace, actor="system:abandoned-uploads")
    run.progress(len(gone), len(gone), "aborted")
    return {"aborted": [{"key": u.key, "upload_id": u.upload_id} for u in gone]}
