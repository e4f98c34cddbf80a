"""Multipart uploads nothing will complete are aborted after a grace period, and audited."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from ingest_server.uploads.abandoned import abort_abandoned
from tests.ingest_server.helpers import clip_bytes, register


def _open(ctx) -> set[str]:
    page = ctx.storage.client.list_multipart_uploads(Bucket=ctx.storage.bucket)
    return {u["UploadId"] for u in page.get("Uploads", [])}


def test_an_upload_left_by_a_kill_after_create_multipart_is_aborted_after_the_grace(client, people, ctx):
    # Issue 16 Found 7: a server killed right after CreateMultipartUpload left the upload open for ever.
    orphan = ctx.storage.create_upload("clips/orphan-after-kill", hashlib.sha256(b"x").hexdigest(), "lost")
    live = register(client, people.auth("device"), clip_bytes(40_000)).json()["upload_id"]
    assert {orphan, live} <= _open(ctx)

    assert abort_abandoned(ctx=ctx, grace=timedelta(days=1)) == []  # too recent: an upload may be in flight
    assert orphan in _open(ctx)

    gone = abort_abandoned(ctx=ctx, grace=timedelta(0))
    assert [u.upload_id for u in gone] == [orphan]
    assert orphan not in _open(ctx) and live in _open(ctx)  # the clip still uploading keeps its upload
    with ctx.sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.event_type == "upload.aborted_abandoned")
        ).all()
    assert [e.object_id for e in events] == [orphan] and "orphan-after-kill" in events[0].detail
