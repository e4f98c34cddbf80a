"""The audit chain: every access recorded with the CJIS fields, reading it is
recorded too, and `audit verify` catches edits, deletions and reorderings made
directly in the database."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from ingest_server.audit import service as audit
from ingest_server.audit.verify import verify_chain
from ingest_server.cli import app as cli_app
from tests.ingest_server.helpers import clip_bytes, upload

CJIS_FIELDS = ("occurred_at", "component", "event_type", "actor", "outcome", "object_id", "source")


def _fill(ctx, n=6):
    with ctx.sessions() as session:
        for i in range(n):
            audit.append(
                session=session,
                component="test",
                event_type="test.event",
                actor=f"user:a{i}",
                outcome="success",
                object_type="clip",
                object_id=f"c{i}",
                source="127.0.0.1",
                detail={"i": i},
            )
        session.commit()


def _verify(ctx):
    with ctx.sessions() as session:
        return verify_chain(session=session)


def _sql(ctx, statement, **params):
    with ctx.engine.begin() as conn:
        conn.execute(text(statement), params)


def drop_append_only_guard(ctx):
    """What someone who owns the database can do; the chain must still tell."""
    if ctx.engine.dialect.name == "sqlite":
        _sql(ctx, "DROP TRIGGER audit_events_no_update")
        _sql(ctx, "DROP TRIGGER audit_events_no_delete")
    else:
        _sql(ctx, "DROP TRIGGER audit_events_append_only ON audit_events")


@pytest.fixture
def tamperable(ctx):
    _fill(ctx)
    drop_append_only_guard(ctx)
    return ctx


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET actor = 'x' WHERE seq = 2", "DELETE FROM audit_events WHERE seq = 6"],
)
def test_database_refuses_edits_and_deletions(ctx, statement):
    _fill(ctx)
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(ctx, statement)
    assert _verify(ctx).ok


def test_every_access_is_recorded_and_reading_the_audit_is_audited(client, people):
    reg, _ = upload(client, people.auth("device"), clip_bytes(800))
    client.get(f"/api/v1/clips/{reg['clip_id']}/original", headers=people.auth("custodian"))
    trail = client.get(f"/api/v1/clips/{reg['clip_id']}/audit", headers=people.auth("auditor")).json()[
        "items"
    ]
    kinds = [(e["event_type"], e["actor"], e["outcome"]) for e in trail]
    assert ("clip.registered", "device:car-17", "success") in kinds
    assert ("clip.stored", "device:car-17", "success") in kinds
    assert ("api.uploads.complete", "device:car-17", "success") in kinds
    assert ("api.clips.download", "user:custodian1", "success") in kinds
    for event in trail:
        assert all(event[f] for f in CJIS_FIELDS), event
    again = client.get(
        "/api/v1/audit", headers=people.auth("admin"), params={"event_type": "api.clips.audit"}
    )
    reads = again.json()["items"]
    assert reads and reads[0]["actor"] == "user:auditor1" and reads[0]["object_id"] == reg["clip_id"]
    verified = client.get("/api/v1/audit/verify", headers=people.auth("auditor")).json()
    assert verified["ok"] and verified["checked"] > 10


def test_intact_chain_verifies(ctx):
    _fill(ctx)
    report = _verify(ctx)
    assert report.ok and report.checked == 6


@pytest.mark.parametrize(
    "column,value",
    [
        ("actor", "user:someone-else"),
        ("outcome", "failure"),
        ("detail", '{"i":99}'),
        ("occurred_at", "2020-01-01T00:00:00.000000Z"),
    ],
)
def test_edited_row_is_caught(tamperable, column, value):
    ctx = tamperable
    _sql(ctx, f"UPDATE audit_events SET {column} = :v WHERE seq = 4", v=value)
    report = _verify(ctx)
    assert not report.ok and report.broken_seq == 4 and "edited" in report.reason


def test_edited_row_with_recomputed_hash_breaks_the_next_link(tamperable):
    ctx = tamperable
    with ctx.sessions() as session:
        row = session.execute(text("SELECT * FROM audit_events WHERE seq = 3")).mappings().one()
        forged = dict(row, actor="user:forger")
        new_hash = audit.event_hash(forged)
        session.execute(
            text("UPDATE audit_events SET actor = 'user:forger', hash = :h WHERE seq = 3"), {"h": new_hash}
        )
        session.commit()
    report = _verify(ctx)
    assert not report.ok and report.broken_seq == 4 and "prev_hash" in report.reason


def test_deleted_row_is_caught(tamperable):
    ctx = tamperable
    _sql(ctx, "DELETE FROM audit_events WHERE seq = 2")
    report = _verify(ctx)
    assert not report.ok and report.broken_seq == 2 and "deleted" in report.reason


def test_deleted_last_row_is_caught(tamperable):
    ctx = tamperable
    _sql(ctx, "DELETE FROM audit_events WHERE seq = 6")
    report = _verify(ctx)
    assert not report.ok and report.broken_seq == 6 and "deleted" in report.reason


def test_reordering_is_caught(tamperable):
    ctx = tamperable
    _sql(ctx, "UPDATE audit_events SET seq = -1 WHERE seq = 3")
    _sql(ctx, "UPDATE audit_events SET seq = 3 WHERE seq = 4")
    _sql(ctx, "UPDATE audit_events SET seq = 4 WHERE seq = -1")
    report = _verify(ctx)
    assert not report.ok and report.broken_seq == 3 and "reordered" in report.reason


def test_cli_audit_verify_names_the_first_broken_event(tamperable, monkeypatch):
    ctx = tamperable
    monkeypatch.setenv("EVIDENCE_SERVER_DATABASE_URL", ctx.settings.db_url)
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["audit", "verify"])
    assert ok.exit_code == 0 and "audit chain intact: 6 event(s) verified" in ok.output
    _sql(ctx, "UPDATE audit_events SET detail = :d WHERE seq = 5", d=json.dumps({"i": 5, "x": 1}))
    broken = runner.invoke(cli_app, ["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN at event 5" in broken.output and "edited" in broken.output


def test_concurrent_requests_never_fork_the_chain(client, people, ctx):
    errors = []

    def hammer(role):
        for _ in range(15):
            response = client.get("/api/v1/me", headers=people.auth(role))
            if response.status_code != 200:
                errors.append(response.text)

    threads = [
        threading.Thread(target=hammer, args=(r,)) for r in ("admin", "custodian", "auditor", "trooper")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = _verify(ctx)
    assert report.ok and report.checked >= 60
    with ctx.sessions() as session:
        hashes = session.execute(text("SELECT prev_hash FROM audit_events")).scalars().all()
    assert len(hashes) == len(set(hashes))  # no two events share a parent: no fork
