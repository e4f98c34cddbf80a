"""A release that stops after its signed copy was stored (locked, so it cannot be removed) leaves no
locked object without a row: an ordinary failure records a `failed` signed-release row naming the
object at once; a server killed before it could do so has that object found and recorded by the next
attempt (the signed copy's key is the same in every attempt). The retry then releases normally."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from ingest_server.derived import jobs, service
from ingest_server.derived.models import APPROVED, FAILED_COPY, RELEASED, SIGNED
from tests.ingest_server.derived import inline


class Injected(RuntimeError):
    pass


def _approved(ctx, clip_id, first) -> str:
    redaction_id = inline.scanned_and_rendering(ctx, clip_id, first, "FOIA 92")
    assert [j.kind for j in inline.run_queued(ctx)] == [jobs.KIND[jobs.RENDER]]
    with ctx.sessions() as session:
        draft_id = service.get_redaction(session=session, redaction_id=redaction_id).derived_id
        service.approve(ctx=ctx, session=session, derived_id=draft_id, user=first)
    return draft_id


def _fail_released_event(real):
    def append(**kwargs):
        if kwargs["event_type"] == "derived.released":
            raise Injected("the audit append failed (injected)")
        return real(**kwargs)

    return append


def _signed_rows_and_versions(ctx, clip_id):
    rows, versions = inline.derived_of(ctx, clip_id)
    signed = [r for r in rows if r.kind == SIGNED]
    redacted_keys = {r.object_key for r in rows if r.kind != SIGNED}
    return signed, [v for v in versions if v["Key"] not in redacted_keys]


def _every_version_has_a_row(signed, versions):
    named = {(r.object_key, r.version_id) for r in signed}
    return all((v["Key"], v["VersionId"]) in named for v in versions)


def test_a_release_failing_after_its_upload_leaves_a_failed_row_and_the_retry_releases(
    ctx, stored_clip, custodians, monkeypatch
):
    clip_id, original = stored_clip
    first, second = custodians
    draft_id = _approved(ctx, clip_id, first)

    monkeypatch.setattr(service.audit, "append", _fail_released_event(service.audit.append))
    with ctx.sessions() as session:
        try:
            service.approve_release(ctx=ctx, session=session, derived_id=draft_id, user=second)
        except Injected:
            pass
        else:
            raise AssertionError("the injected failure did not reach the caller")
    monkeypatch.undo()

    signed, versions = _signed_rows_and_versions(ctx, clip_id)
    print(f"\nafter the failure: signed rows {[r.state for r in signed]}, stored versions {len(versions)}")
    assert len(versions) == 1 and [r.state for r in signed] == [FAILED_COPY]
    assert _every_version_has_a_row(signed, versions), "a locked object with no row"
    (failed,) = signed
    stored = b"".join(ctx.storage.read(failed.object_key, failed.version_id)[0])
    assert hashlib.sha256(stored).hexdigest() == failed.sha256
    record = json.loads(failed.provenance_json)
    assert record["state"] == "failed" and "injected" in record["error"]
    assert record["parent"]["sha256"] == hashlib.sha256(original).hexdigest()
    with ctx.sessions() as session:
        assert service.get_derived(session=session, derived_id=draft_id).state == APPROVED
        assert service.released_copy(session=session, clip_id=clip_id) is None  # never served
        events = session.execute(select(AuditEvent.event_type)).scalars().all()
        assert "derived.stored_release_failed" in events and "derived.released" not in events

        released = service.approve_release(ctx=ctx, session=session, derived_id=draft_id, user=second)
        assert released.state == RELEASED
        assert service.released_copy(session=session, clip_id=clip_id).id == released.id
    signed, versions = _signed_rows_and_versions(ctx, clip_id)
    assert sorted(r.state for r in signed) == sorted([FAILED_COPY, RELEASED]) and len(versions) == 2
    assert _every_version_has_a_row(signed, versions)


def test_a_signed_copy_left_by_a_killed_release_is_recorded_by_the_next_attempt(
    ctx, stored_clip, custodians, monkeypatch
):
    clip_id, _ = stored_clip
    first, second = custodians
    draft_id = _approved(ctx, clip_id, first)

    # A kill between the upload and the commit: nothing after the upload runs.
    monkeypatch.setattr(service.audit, "append", _fail_released_event(service.audit.append))
    monkeypatch.setattr(service, "_record_failed_release", lambda *a, **k: None)
    with ctx.sessions() as session:
        try:
            service.approve_release(ctx=ctx, session=session, derived_id=draft_id, user=second)
        except Injected:
            pass
    monkeypatch.undo()
    signed, versions = _signed_rows_and_versions(ctx, clip_id)
    assert (len(signed), len(versions)) == (0, 1)  # the orphan the next attempt must find

    with ctx.sessions() as session:
        released = service.approve_release(ctx=ctx, session=session, derived_id=draft_id, user=second)
        assert released.state == RELEASED
    signed, versions = _signed_rows_and_versions(ctx, clip_id)
    print(f"\nafter the retry: signed rows {[r.state for r in signed]}, stored versions {len(versions)}")
    assert sorted(r.state for r in signed) == sorted([FAILED_COPY, RELEASED]) and len(versions) == 2
    assert _every_version_has_a_row(signed, versions), "a locked object with no row"
    (failed,) = [r for r in signed if r.state == FAILED_COPY]
    assert "an earlier attempt" in json.loads(failed.provenance_json)["error"]
