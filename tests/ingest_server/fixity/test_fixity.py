"""Fixity: an object whose bytes were replaced in the store behind the server's
back is found, recorded in the audit log and shown in status; intact ones pass."""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import select, update

from ingest_server.audit.models import AuditEvent
from ingest_server.clips.models import Clip
from ingest_server.fixity import service as fixity
from tests.ingest_server.records_helpers import upload_at
from tests.support.clock import START

# The server's clock travels years here (from 2010): on moto, see the time_travel marker.
pytestmark = pytest.mark.time_travel


def test_bytes_replaced_behind_the_servers_back_are_found(client, ctx, people, clock):
    device, custodian = people.auth("device"), people.auth("custodian")
    ids = [upload_at(client, device, START, seed=n, size=3000 + n) for n in range(3)]
    first = client.post("/api/v1/fixity/check", headers=custodian)
    assert first.status_code == 200 and first.json()["checked"] == 3 and first.json()["mismatches"] == []

    with ctx.sessions() as session:
        victim = session.get(Clip, ids[1])
        key, sha = victim.object_key, victim.sha256
    # Someone with store credentials writes other bytes over the evidence key.
    ctx.storage.client.put_object(Bucket=ctx.storage.bucket, Key=key, Body=b"not the original" * 200)

    second = client.post("/api/v1/fixity/check", headers=custodian).json()
    assert second["checked"] == 3 and len(second["mismatches"]) == 1
    assert ids[1] in second["mismatches"][0] and "written behind the server" in second["mismatches"][0]
    status = client.get("/api/v1/fixity/status", headers=people.auth("auditor")).json()
    assert [m["clip_id"] for m in status["mismatches"]] == [ids[1]]
    assert status["mismatches"][0]["expected_sha256"] == sha
    with ctx.sessions() as session:
        events = (
            session.execute(select(AuditEvent).where(AuditEvent.event_type == "fixity.mismatch"))
            .scalars()
            .all()
        )
    assert [e.object_id for e in events] == [ids[1]] and events[0].outcome == "failure"


def test_a_stored_version_that_differs_from_the_index_is_a_mismatch(client, ctx, people, clock):
    """The index points at the version the attacker wrote (or the store lost ours): the re-hash differs."""
    device = people.auth("device")
    clip_id = upload_at(client, device, START, size=5000)
    with ctx.sessions() as session:
        clip = session.get(Clip, clip_id)
        other = ctx.storage.client.put_object(
            Bucket=ctx.storage.bucket, Key=clip.object_key, Body=b"y" * 5000
        )
        session.commit()
    # as if the store served other bytes for our version: written behind the server's back (the
    # application itself refuses to change a stored clip's version, clips/models.py)
    with ctx.engine.begin() as connection:
        connection.execute(
            update(Clip.__table__).where(Clip.id == clip_id).values(version_id=other["VersionId"])
        )
    with ctx.sessions() as session:
        run = fixity.check(ctx=ctx, session=session)
    assert len(run.mismatches) == 1 and "sha256 differs" in run.mismatches[0]


def test_sample_checks_a_fraction(client, ctx, people, clock):
    device = people.auth("device")
    for n in range(4):
        upload_at(client, device, START, seed=n, size=2000 + n)
    with ctx.sessions() as session:
        run = fixity.check(ctx=ctx, session=session, sample=0.5, rng=random.Random(1))
        assert run.checked == 2 and run.ok == 2
        summary = (
            session.execute(select(AuditEvent).where(AuditEvent.event_type == "fixity.run")).scalars().one()
        )
        assert json.loads(summary.detail)["checked"] == 2
