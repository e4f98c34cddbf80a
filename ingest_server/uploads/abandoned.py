"""Abandoned multipart uploads: found in the store and aborted after a grace period, audited.

A server killed right after CreateMultipartUpload (before the clip's upload id was
committed), or a clip whose upload was replaced, leaves a multipart upload that no
clip will ever complete; its parts cost storage for ever. `abandoned` is the pure
rule: an upload in the store is abandoned when it is older than `grace` and no clip
in state "uploading" names it as its current upload. `abort_abandoned` lists the
store's open uploads, aborts those, and writes one audit event per abort
(component "uploads", event "upload.aborted_abandoned", with key, upload id and age).
A clip's bytes are never touched: only parts of uploads that nothing will complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ingest_server.audit import service as audit
from ingest_server.clips.models import UPLOADING, Clip
from ingest_server.context import ServerContext


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


def abort_abandoned(*, ctx: ServerContext, grace: timedelta, actor: str = "system") -> list[OpenUpload]:
    """Abort every abandoned multipart upload; returns those aborted (each audited)."""
    now = ctx.clock()
    with ctx.sessions() as session:
        live = {
            u for u in session.scalars(select(Clip.upload_id).where(Clip.state == UPLOADING)) if u is not None
        }
        gone = abandoned(_open_uploads(ctx), live=live, now=now, grace=grace)
        for u in gone:
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
