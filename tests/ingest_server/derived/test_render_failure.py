"""A render that fails with an ordinary error after its copy was stored in the store (locked, so it
cannot be removed) leaves a `failed` row naming that object: no locked object without a row. The
failure is injected at three places after the upload: the store's read-back check, building the
provenance record, and the audit event of the commit that would make the copy a draft."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from ingest_server.derived import service
from ingest_server.derived.models import FAILED, FAILED_COPY, Redaction
from ingest_server.jobs.models import JobState
from ingest_server.storage import StorageError
from tests.ingest_server.derived import inline


class Injected(RuntimeError):
    pass


def _fail_tools():
    raise Injected("tool versions unreadable (injected)")


def _fail_stored_event(real):
    def append(**kwargs):
        if kwargs["event_type"] == "derived.stored":
            raise Injected("the audit append failed (injected)")
        return real(**kwargs)

    return append


def _fail_read_back(real):
    def put_verified(*args, **kwargs):
        real(*args, **kwargs)  # stored and locked; then the check after it fails
        raise StorageError("the store's read-back failed (injected)")

    return put_verified


INJECTIONS = {
    "provenance": lambda mp, ctx: mp.setattr(service.provenance, "tool_versions", _fail_tools),
    "commit": lambda mp, ctx: mp.setattr(service.audit, "append", _fail_stored_event(service.audit.append)),
    "read-back": lambda mp, ctx: mp.setattr(
        ctx.storage, "put_verified", _fail_read_back(ctx.storage.put_verified)
    ),
}


@pytest.mark.parametrize("where", sorted(INJECTIONS))
def test_a_render_failing_after_its_upload_leaves_a_failed_row_naming_the_locked_object(
    ctx, stored_clip, custodians, monkeypatch, where
):
    clip_id, original = stored_clip
    redaction_id = inline.scanned_and_rendering(ctx, clip_id, custodians[0], "FOIA 90")
    INJECTIONS[where](monkeypatch, ctx)
    (job,) = inline.run_queued(ctx)
    monkeypatch.undo()

    rows, versions = inline.derived_of(ctx, clip_id)
    print(f"\n{where}: job {job.state}, rows {[r.state for r in rows]}, stored versions {len(versions)}")
    assert job.state == JobState.FAILED and "injected" in job.error
    assert len(versions) == 1  # the upload happened, locked
    assert len(rows) == 1, "a locked object with no row"
    (row,) = rows
    assert row.state == FAILED_COPY
    assert (row.object_key, row.version_id) == (versions[0]["Key"], versions[0]["VersionId"])
    stored = b"".join(ctx.storage.read(row.object_key, row.version_id)[0])
    assert hashlib.sha256(stored).hexdigest() == row.sha256 and len(stored) == row.size
    record = json.loads(row.provenance_json)
    assert record["state"] == "failed" and "injected" in record["error"]
    assert record["parent"]["sha256"] == hashlib.sha256(original).hexdigest()
    assert record["derived"]["sha256"] == row.sha256
    with ctx.sessions() as session:
        redaction = session.get(Redaction, redaction_id)
        assert redaction.state == FAILED and "injected" in redaction.error
        assert redaction.derived_id == row.id
        with pytest.raises(service.DerivedError, match="not a draft"):
            service.approve(ctx=ctx, session=session, derived_id=row.id, user=custodians[1])
    events = _clip_events(ctx, clip_id)
    assert "derived.stored_render_failed" in events and "redaction.failed" in events


def _clip_events(ctx, clip_id: str) -> list[str]:
    with ctx.sessions() as session:
        query = select(AuditEvent.event_type).where(AuditEvent.object_id == clip_id)
        return list(session.execute(query).scalars())
