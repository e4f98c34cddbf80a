"""A stored related file (sidecar) is evidence like its clip: no write through the ORM or a bulk
statement changes its hash, size, key or version, or deletes its row; the sweeper's stored ->
deleted is the one change, and a file still pending may change."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from ingest_server.clips.models import ImmutableClipError
from ingest_server.related.models import DELETED, PENDING, STORED, RelatedFile
from tests.ingest_server.helpers import clip_bytes
from tests.ingest_server.related_helpers import FILES, register_with_related, upload_with_related

PROTECTED = {
    "sha256": "0" * 64,
    "size": 1,
    "object_key": "originals/elsewhere/related/x.xml",
    "version_id": "v-forged",
    "name": "MEDIA/OTHER.XML",
    "state": PENDING,
}


def _one_row(ctx, clip_id: str) -> str:
    with ctx.sessions() as session:
        return session.query(RelatedFile).filter_by(clip_id=clip_id).order_by(RelatedFile.name).first().id


def test_a_stored_related_file_cannot_change_or_go(client, people, ctx):
    reg, _ = upload_with_related(client, people.auth("device"), clip_bytes(20_000, seed=41))
    row_id = _one_row(ctx, reg["clip_id"])
    with ctx.sessions() as session:
        row = session.get(RelatedFile, row_id)
        before = (row.state, row.sha256, row.size, row.object_key, row.version_id, row.name)
    for field, value in PROTECTED.items():
        with ctx.sessions() as session:
            setattr(session.get(RelatedFile, row_id), field, value)
            refused = f"of clip {reg['clip_id']} is stored evidence: {field} cannot change"
            with pytest.raises(ImmutableClipError, match=refused):
                session.flush()
            session.rollback()
    with ctx.sessions() as session:  # a row whose state was never loaded is still checked
        row = session.get(RelatedFile, row_id)
        session.expire(row, ["state", "sha256"])
        row.sha256 = "1" * 64
        with pytest.raises(ImmutableClipError, match="sha256 cannot change"):
            session.flush()
        session.rollback()
    with ctx.sessions() as session:
        session.delete(session.get(RelatedFile, row_id))
        with pytest.raises(ImmutableClipError, match="the row cannot be deleted"):
            session.flush()
        session.rollback()
    with ctx.sessions() as session:  # bulk statements would skip the check: refused outright
        for statement in (
            update(RelatedFile).where(RelatedFile.id == row_id).values(sha256="2" * 64),
            update(RelatedFile.__table__).where(RelatedFile.id == row_id).values(version_id=None),
            delete(RelatedFile).where(RelatedFile.id == row_id),
        ):
            with pytest.raises(ImmutableClipError, match="bulk UPDATE/DELETE of related_files is refused"):
                session.execute(statement)
            session.rollback()
    with ctx.sessions() as session:  # nothing above reached the database
        row = session.get(RelatedFile, row_id)
        assert (row.state, row.sha256, row.size, row.object_key, row.version_id, row.name) == before
        row.state = DELETED  # the sweeper's change, after the deletion certificate
        session.commit()
        row.state = STORED  # no way back
        with pytest.raises(ImmutableClipError, match="state cannot change"):
            session.flush()
        session.rollback()
        row = session.get(RelatedFile, row_id)
        row.version_id = None  # a deleted file's record stays as it was
        with pytest.raises(ImmutableClipError, match="version_id cannot change"):
            session.flush()
        session.rollback()


def test_a_pending_related_file_may_change(client, people, ctx):
    """Before the clip is stored the declaration may be replaced and the verified version set."""
    reg = register_with_related(client, people.auth("device"), clip_bytes(9_000, seed=42), FILES).json()
    with ctx.sessions() as session:
        row = session.get(RelatedFile, _one_row(ctx, reg["clip_id"]))
        assert row.state == PENDING
        row.version_id, row.size = "v-verified", 7
        session.flush()
        session.delete(row)
        session.flush()
        session.rollback()
