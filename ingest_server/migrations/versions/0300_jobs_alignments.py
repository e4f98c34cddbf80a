"""background jobs and stored clip alignments

Revision ID: 0300_jobs_alignments
Revises: 0200
Create Date: 2026-12-01

`jobs`: one row per background job (kind, subject, state, progress, lease); at
most one queued or running job per kind and subject (a partial unique index).
`clip_alignments`: audio alignments of two clips as derived facts, proposed,
then accepted or rejected by a custodian. No foreign keys to clips (as for links).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0300_jobs_alignments"
down_revision = "0200"
branch_labels = None
depends_on = None

_ACTIVE = sa.text("state IN ('queued', 'running')")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("again", sa.Boolean(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("done_steps", sa.Integer(), nullable=False),
        sa.Column("total_steps", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(200), nullable=True),
        sa.Column("eta_seconds", sa.Float(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_state", "jobs", ["state"])
    op.create_index(
        "uq_jobs_active_subject",
        "jobs",
        ["kind", "subject"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    op.create_table(
        "clip_alignments",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("report_id", sa.String(32), nullable=True),
        sa.Column("clip_a_id", sa.String(32), nullable=False),
        sa.Column("clip_b_id", sa.String(32), nullable=False),
        sa.Column("clip_a_sha256", sa.String(64), nullable=False),
        sa.Column("clip_b_sha256", sa.String(64), nullable=False),
        sa.Column("aligned", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("offset_s", sa.Float(), nullable=True),
        sa.Column("drift_ppm", sa.Float(), nullable=True),
        sa.Column("reference_s", sa.Float(), nullable=True),
        sa.Column("offset_uncertainty_s", sa.Float(), nullable=True),
        sa.Column("drift_uncertainty_ppm", sa.Float(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("windows_used", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("ran_at", sa.DateTime(), nullable=False),
        sa.Column("job_id", sa.String(32), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clip_alignments")),
    )
    op.create_index("ix_clip_alignments_pair", "clip_alignments", ["clip_a_id", "clip_b_id"])
    op.create_index(op.f("ix_clip_alignments_report_id"), "clip_alignments", ["report_id"])


def downgrade() -> None:
    op.drop_table("clip_alignments")
    op.drop_table("jobs")
