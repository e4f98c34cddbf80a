"""clips.media_container: the video container the server read from the stored bytes

Revision ID: 0310
Revises: 0410
Create Date: 2026-12-01

Clips stored before this revision have none; they are sniffed from the store when
served (portal/streaming.py), so they keep playing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0310"
down_revision = "0410"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("clips", sa.Column("media_container", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clips") as batch:
        batch.drop_column("media_container")
