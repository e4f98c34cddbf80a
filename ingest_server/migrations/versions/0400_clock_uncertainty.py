"""the camera clock offset's uncertainty (± seconds) beside the offset

Revision ID: 0400
Revises: 0300_derived_redaction
Create Date: 2026-12-01

The agent measures the offset against the moment the camera wrote its clock and
states how far off that measurement can be (clock resolution plus the gap
between writing and the reference moment); the index keeps both.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0400"
down_revision = "0300_derived_redaction"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("clips", sa.Column("clock_offset_uncertainty_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clips") as batch:
        batch.drop_column("clock_offset_uncertainty_seconds")
