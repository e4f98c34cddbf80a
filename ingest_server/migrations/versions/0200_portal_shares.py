"""portal credentials and sessions, shares and their clips

Revision ID: 0200
Revises: 0100
Create Date: 2026-11-24

No foreign keys to users or clips on purpose: these tables must never stop the
server's own tables from being truncated (tests) or rebuilt (SQLite batch moves).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0200"
down_revision = "0100"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_credentials",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=True),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_portal_credentials")),
    )
    op.create_table(
        "portal_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(32), nullable=True),
        sa.Column("source", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_portal_sessions")),
    )
    op.create_index(op.f("ix_portal_sessions_user_id"), "portal_sessions", ["user_id"])
    op.create_table(
        "shares",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("report_id", sa.String(64), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("allow_download", sa.Boolean(), nullable=False),
        sa.Column("download_limit", sa.Integer(), nullable=True),
        sa.Column("downloads_used", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(200), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_shares_token_hash")),
    )
    op.create_index(op.f("ix_shares_report_id"), "shares", ["report_id"])
    op.create_table(
        "share_clips",
        sa.Column("share_id", sa.String(32), nullable=False),
        sa.Column("clip_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("share_id", "clip_id", name=op.f("pk_share_clips")),
    )
    op.create_index(op.f("ix_share_clips_clip_id"), "share_clips", ["clip_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_share_clips_clip_id"), table_name="share_clips")
    op.drop_table("share_clips")
    op.drop_index(op.f("ix_shares_report_id"), table_name="shares")
    op.drop_table("shares")
    op.drop_index(op.f("ix_portal_sessions_user_id"), table_name="portal_sessions")
    op.drop_table("portal_sessions")
    op.drop_table("portal_credentials")
