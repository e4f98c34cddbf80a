"""device_keys, agent_custody_events: the agent's signed custody events

Revision ID: 0330_device_keys
Revises: 0320
Create Date: 2026-12-01

Each device's Ed25519 public key (kept after an administrator's reset, with who
and when), and which (device, car sequence) custody events are already in the
audit, so a re-sent event is recognised (ingest_server/agent_custody).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0330_device_keys"
down_revision = "0320"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("device_id", sa.String(32), nullable=False),
        sa.Column("fingerprint", sa.String(71), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_device_keys_device_id_devices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_keys")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_device_keys_fingerprint")),
    )
    op.create_index(op.f("ix_device_keys_device_id"), "device_keys", ["device_id"])
    op.create_table(
        "agent_custody_events",
        sa.Column("device_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("clip_id", sa.String(32), nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("audit_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_agent_custody_events_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["clip_id"], ["clips.id"], name=op.f("fk_agent_custody_events_clip_id_clips")
        ),
        sa.PrimaryKeyConstraint("device_id", "seq", name=op.f("pk_agent_custody_events")),
    )
    op.create_index(op.f("ix_agent_custody_events_clip_id"), "agent_custody_events", ["clip_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_agent_custody_events_clip_id"), table_name="agent_custody_events")
    op.drop_table("agent_custody_events")
    op.drop_index(op.f("ix_device_keys_device_id"), table_name="device_keys")
    op.drop_table("device_keys")
