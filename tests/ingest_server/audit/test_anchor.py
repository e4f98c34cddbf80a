"""The audit chain anchored outside the database (issue 13, Found 6).

The attacks of the issue, by someone who owns the database but not the store:
TRUNCATE plus a reset chain head, and deleting the download events then
recomputing every hash with the server's own function. The chain alone says
"intact" afterwards; `evidence-server audit verify`, which also checks the signed
checkpoints in the Object-Locked store, reports both.
"""

from __future__ import annotations

import json

import psycopg
import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from ingest_server.anchor import service as anchor
from ingest_server.audit import service as audit
from ingest_server.audit.models import GENESIS, AuditEvent
from ingest_server.audit.service import HASHED_FIELDS, event_hash
from ingest_server.audit.verify import verify_chain
from ingest_server.cli import app as cli


def _some_history(ctx, numbers=range(6)) -> None:
    with ctx.sessions() as session:
        for n in numbers:
            audit.append(
                session=session,
                component="api",
                event_type="api.clips.download" if n % 2 else "api.clips.get",
                actor="user:trooper1",
                outcome="success",
                object_type="clip_id",
                object_id=f"{n:032x}",
                detail={"n": n},
            )
        session.commit()


def _drop_guards(session) -> None:
    """What an owner of the database can do: drop the append-only triggers."""
    if session.bind.dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_events_no_update"))
        session.execute(text("DROP TRIGGER audit_events_no_delete"))
    else:
        session.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
        session.execute(text("DROP TRIGGER audit_events_no_truncate ON audit_events"))


def _rewrite_without_downloads(ctx) -> int:
    """Delete every download event and recompute the whole chain with the server's own function."""
    with ctx.sessions() as session:
        _drop_guards(session)
        kept = [
            {f: getattr(e, f) for f in HASHED_FIELDS}
            for e in session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
            if e.event_type != "api.clips.download"
        ]
        removed = session.execute(select(AuditEvent)).scalars().all()
        session.expunge_all()
        session.execute(text("DELETE FROM audit_events"))
        prev = GENESIS
        for seq, values in enumerate(kept, start=1):
            values.update(seq=seq, prev_hash=prev)
            prev = event_hash(values)
            session.add(AuditEvent(**values, hash=prev))
        session.execute(text("UPDATE audit_chain_head SET seq = :s, hash = :h"), {"s": len(kept), "h": prev})
        session.commit()
    return len(removed) - len(kept)


def _cli_verify(ctx, monkeypatch):
    monkeypatch.setenv("EVIDENCE_SERVER_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("EVIDENCE_SERVER_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("EVIDENCE_SERVER_S3_ENDPOINT_URL", ctx.settings.s3_endpoint_url)
    monkeypatch.setenv("EVIDENCE_SERVER_S3_BUCKET", ctx.settings.s3_bucket)
    monkeypatch.setenv("EVIDENCE_SERVER_S3_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("EVIDENCE_SERVER_S3_SECRET_ACCESS_KEY", "testing")
    return CliRunner().invoke(cli, ["audit", "verify"])


def test_full_rewrite_is_reported_by_audit_verify(ctx, monkeypatch):
    _some_history(ctx, range(3))
    with ctx.sessions() as session:
        earlier = anchor.write_checkpoint(ctx=ctx, session=session)  # at event 3
    _some_history(ctx, range(3, 6))
    with ctx.sessions() as session:
        signed = anchor.write_checkpoint(ctx=ctx, session=session)  # at event 6
    assert anchor.checkpoint_valid(ctx.signer.public_key_pem, signed)
    intact = _cli_verify(ctx, monkeypatch)
    assert intact.exit_code == 0, intact.output
    assert "checked against 2 signed checkpoint(s) in the store: all match" in intact.output

    assert _rewrite_without_downloads(ctx) == 3
    with ctx.sessions() as session:
        assert verify_chain(session=session).ok  # the chain alone is fooled
    done = _cli_verify(ctx, monkeypatch)
    assert done.exit_code == 1, done.output
    seq = signed["checkpoint"]["seq"]
    assert f"CHECKPOINT MISMATCH: the checkpoint signed at {signed['checkpoint']['at']}" in done.output
    assert (
        f"covers event {seq} with hash {signed['checkpoint']['hash']}, but the database has no event {seq}"
        in (done.output)
    )  # the log now ends at 3
    assert f"says event 3 has hash {earlier['checkpoint']['hash']}" in done.output
    assert "the chain up to event 3 was rewritten" in done.output


def test_a_forged_checkpoint_is_refused(ctx):
    _some_history(ctx)
    with ctx.sessions() as session:
        signed = anchor.write_checkpoint(ctx=ctx, session=session)
    forged = json.loads(json.dumps(signed))
    forged["checkpoint"]["hash"] = "f" * 64
    assert not anchor.checkpoint_valid(ctx.signer.public_key_pem, forged)
    receipt_shaped = {
        "checkpoint": {**signed["checkpoint"], "kind": "receipt"},
        "signature": signed["signature"],
    }
    assert not anchor.checkpoint_valid(ctx.signer.public_key_pem, receipt_shaped)


# TRUNCATE is PostgreSQL's; SQLite has none (its audit table refuses DELETE by a trigger instead).
@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_truncate_is_refused_and_a_forced_one_is_reported(ctx, monkeypatch):
    _some_history(ctx)
    with ctx.sessions() as session:
        anchor.write_checkpoint(ctx=ctx, session=session)
    with ctx.sessions() as session, pytest.raises(Exception) as refused:
        session.execute(text("TRUNCATE audit_events"))
    assert isinstance(refused.value.orig, psycopg.Error) and "append-only" in str(refused.value)

    with ctx.sessions() as session:  # the owner drops the trigger, truncates and resets the head
        _drop_guards(session)
        session.execute(text("TRUNCATE audit_events"))
        session.execute(text("UPDATE audit_chain_head SET seq = 0, hash = :h"), {"h": GENESIS})
        session.commit()
    with ctx.sessions() as session:
        assert verify_chain(session=session).describe() == "audit chain intact: 0 event(s) verified"
    done = _cli_verify(ctx, monkeypatch)
    assert done.exit_code == 1, done.output
    assert "but the database has no event" in done.output and "the log was truncated" in done.output
