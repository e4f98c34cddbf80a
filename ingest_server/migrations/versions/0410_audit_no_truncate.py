"""audit_events refuses TRUNCATE too (PostgreSQL)

Revision ID: 0410
Revises: 0400
Create Date: 2026-12-01

Row triggers (0002) never fire for TRUNCATE; a statement trigger BEFORE TRUNCATE
does. SQLite has no TRUNCATE (its DELETE is already refused). An owner of the
database can still drop the trigger: the signed checkpoints in the store
(`ingest_server/anchor`) are what then shows the loss (`evidence-server audit verify`).
"""

from __future__ import annotations

from alembic import op

revision = "0410"
down_revision = "0400"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
