"""derived objects (redacted and signed copies), redactions under review, public records requests

Revision ID: 0300_derived_redaction
Revises: 0200
Create Date: 2026-12-01

No foreign keys to clips on purpose (as 0200): these tables must never stop the server's own
tables from being truncated (tests) or rebuilt (SQLite batch moves).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0300_derived_redaction"
down_revision = "0300_jobs_alignments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "redactions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("clip_id", sa.String(32), nullable=False),
        sa.Column("parent_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("frames_done", sa.Integer(), nullable=False),
        sa.Column("frames_total", sa.Integer(), nullable=True),
        sa.Column("scan_json", sa.Text(), nullable=True),
        sa.Column("tracks_json", sa.Text(), nullable=False),
        sa.Column("rejected_json", sa.Text(), nullable=False),
        sa.Column("manual_json", sa.Text(), nullable=False),
        sa.Column("audio_json", sa.Text(), nullable=False),
        sa.Column("style", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("derived_id", sa.String(32), nullable=True),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_by_id", sa.String(32), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redactions")),
    )
    op.create_index(op.f("ix_redactions_clip_id"), "redactions", ["clip_id"])
    op.create_index(op.f("ix_redactions_state"), "redactions", ["state"])
    op.create_table(
        "derived_objects",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("parent_clip_id", sa.String(32), nullable=False),
        sa.Column("parent_sha256", sa.String(64), nullable=False),
        sa.Column("source_derived_id", sa.String(32), nullable=True),
        sa.Column("redaction_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("version_id", sa.String(1024), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("provenance_json", sa.Text(), nullable=False),
        sa.Column("provenance_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("retain_until", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_by", sa.String(200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("approved_by_id", sa.String(32), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("release_approved_by", sa.String(200), nullable=True),
        sa.Column("release_approved_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by", sa.String(200), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derived_objects")),
    )
    op.create_index(op.f("ix_derived_objects_parent_clip_id"), "derived_objects", ["parent_clip_id"])
    op.create_index(op.f("ix_derived_objects_sha256"), "derived_objects", ["sha256"])
    op.create_index(op.f("ix_derived_objects_state"), "derived_objects", ["state"])
    op.create_table(
        "records_requests",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("requester", sa.String(300), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("delay_reason", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("package_path", sa.Text(), nullable=True),
        sa.Column("package_sha256", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records_requests")),
    )
    op.create_index(op.f("ix_records_requests_due_at"), "records_requests", ["due_at"])
    op.create_index(op.f("ix_records_requests_state"), "records_requests", ["state"])
    op.create_table(
        "records_request_clips",
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("clip_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "clip_id", name=op.f("pk_records_request_clips")),
    )
    op.create_index(op.f("ix_records_request_clips_clip_id"), "records_request_clips", ["clip_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_records_request_clips_clip_id"), table_name="records_request_clips")
    op.drop_table("records_request_clips")
    op.drop_index(op.f("ix_records_requests_state"), table_name="records_requests")
    op.drop_index(op.f("ix_records_requests_due_at"), table_name="records_requests")
    op.drop_table("records_requests")
    for name in ("state", "sha256", "parent_clip_id"):
        op.drop_index(op.f(f"ix_derived_objects_{name}"), table_name="derived_objects")
    op.drop_table("derived_objects")
    op.drop_index(op.f("ix_redactions_state"), table_name="redactions")
    op.drop_index(op.f("ix_redactions_clip_id"), table_name="redactions")
    op.drop_table("redactions")
