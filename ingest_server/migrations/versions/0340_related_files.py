"""related_files, gps_tracks: a clip's sidecars as evidence, and the GPS track read from one

Revision ID: 0340_related_files
Revises: 0330_device_keys
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0340_related_files"
down_revision = "0330_device_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "related_files",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("clip_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("version_id", sa.String(1024), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["clip_id"], ["clips.id"], name=op.f("fk_related_files_clip_id_clips")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_related_files")),
        sa.UniqueConstraint("clip_id", "name", name="uq_related_files_clip_name"),
    )
    op.create_index(op.f("ix_related_files_clip_id"), "related_files", ["clip_id"])
    op.create_index(op.f("ix_related_files_sha256"), "related_files", ["sha256"])
    op.create_table(
        "gps_tracks",
        sa.Column("clip_id", sa.String(32), nullable=False),
        sa.Column("sidecar_name", sa.String(1024), nullable=True),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("points_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["clip_id"], ["clips.id"], name=op.f("fk_gps_tracks_clip_id_clips")),
        sa.PrimaryKeyConstraint("clip_id", name=op.f("pk_gps_tracks")),
    )


def downgrade() -> None:
    op.drop_table("gps_tracks")
    op.drop_index(op.f("ix_related_files_sha256"), table_name="related_files")
    op.drop_index(op.f("ix_related_files_clip_id"), table_name="related_files")
    op.drop_table("related_files")
