"""Fixity checks a clip's related files (sidecars) with it, on the SeaweedFS test store (so their
Object Locks are compared too): intact ones pass; other bytes written over a sidecar's key, or a
sidecar whose indexed version is gone from the store, are reported naming the file and its clip,
in the run, in status and in the audit log."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from ingest_server.audit.models import AuditEvent
from ingest_server.fixity import service as fixity
from ingest_server.related.models import RelatedFile
from tests.ingest_server.helpers import clip_bytes
from tests.ingest_server.related_helpers import FILES, upload_with_related

XML_NAME, JSON_NAME = sorted(FILES, reverse=True)  # ...XML, ...JSON


def _row(ctx, clip_id: str, name: str) -> RelatedFile:
    with ctx.sessions() as session:
        row = session.execute(
            select(RelatedFile).where(RelatedFile.clip_id == clip_id, RelatedFile.name == name)
        ).scalar_one()
        session.expunge(row)
        return row


def test_intact_sidecars_pass_and_tampered_or_missing_ones_are_reported(client, ctx, people):
    device, custodian = people.auth("device"), people.auth("custodian")
    intact, tampered, missing = (
        upload_with_related(client, device, clip_bytes(20_000 + n, seed=50 + n))[0]["clip_id"]
        for n in range(3)
    )
    first = client.post("/api/v1/fixity/check", headers=custodian).json()
    assert (first["checked"], first["related_checked"], first["ok"]) == (3, 6, 3)
    assert first["mismatches"] == []

    s3, bucket = ctx.storage.client, ctx.storage.bucket
    xml = _row(ctx, tampered, XML_NAME)
    # Someone with store credentials writes other bytes over the sidecar's key.
    s3.put_object(Bucket=bucket, Key=xml.object_key, Body=b"<clip><unit serial='FORGED'/></clip>")
    # Another clip's sidecar is gone (as if the store lost it): the index names an object the store
    # does not hold, written behind the ORM (which refuses, related/models.py).
    gone = _row(ctx, missing, JSON_NAME)
    gone_key = f"originals/{missing}/related/{'0' * 64}.json"
    with ctx.engine.begin() as connection:
        connection.execute(
            update(RelatedFile.__table__).where(RelatedFile.id == gone.id).values(object_key=gone_key)
        )

    run = client.post("/api/v1/fixity/check", headers=custodian).json()
    assert (run["checked"], run["related_checked"], run["ok"]) == (3, 6, 1)
    by_clip = {line.split()[1]: line for line in run["mismatches"]}
    assert set(by_clip) == {tampered, missing}
    assert f"related file {XML_NAME} ({xml.object_key})" in by_clip[tampered]
    assert "the key was written behind the server: version" in by_clip[tampered]
    # named with its clip, and only once: a version that is gone has no lock to compare
    assert by_clip[missing].endswith(
        f": related file {JSON_NAME} ({gone_key}): the stored version is missing: NoSuchVersion"
    )
    assert JSON_NAME not in by_clip[tampered] and XML_NAME not in by_clip[missing]  # the intact ones pass

    status = client.get("/api/v1/fixity/status", headers=people.auth("auditor")).json()
    problems = {m["clip_id"]: m["problem"] for m in status["mismatches"]}
    assert set(problems) == {tampered, missing} and XML_NAME in problems[tampered]
    with ctx.sessions() as session:
        events = session.execute(
            select(AuditEvent).where(AuditEvent.event_type == "fixity.mismatch").order_by(AuditEvent.seq)
        ).scalars()
        detail = {e.object_id: json.loads(e.detail) for e in events}
    assert set(detail) == {tampered, missing}
    [forged] = detail[tampered]["related"]
    assert (forged["name"], forged["expected_sha256"]) == (XML_NAME, xml.sha256)
    [lost] = detail[missing]["related"]
    assert (lost["name"], lost["expected_sha256"], lost["actual_sha256"]) == (JSON_NAME, gone.sha256, None)


def test_a_sidecar_whose_stored_bytes_differ_from_the_index_is_a_mismatch(client, ctx, people):
    """The index points at a version with other bytes: the re-hash names both hashes."""
    clip_id = upload_with_related(client, people.auth("device"), clip_bytes(12_000, seed=60))[0]["clip_id"]
    row = _row(ctx, clip_id, XML_NAME)
    other = ctx.storage.client.put_object(Bucket=ctx.storage.bucket, Key=row.object_key, Body=b"<x/>")
    with ctx.engine.begin() as connection:
        connection.execute(
            update(RelatedFile.__table__)
            .where(RelatedFile.id == row.id)
            .values(version_id=other["VersionId"])
        )
    with ctx.sessions() as session:
        run = fixity.check(ctx=ctx, session=session)
    [line] = run.mismatches
    assert line.startswith(f"clip {clip_id} ") and f"related file {XML_NAME}" in line
    assert f"sha256 differs: index {row.sha256}, store " in line
