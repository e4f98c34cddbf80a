"""clip_sightings: every place a clip's bytes were found (camera, name, officer, times)

Revision ID: 0350_sightings
Revises: 0340_related_files
Create Date: 2026-12-01

Each clip stored before this revision gets its one sighting, from its own columns,
keyed as a register without the agent's source key is keyed
(clips/sightings.py:sighting_key), so that clip registered again from the same
source adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0350_sightings"
down_revision = "0340_related_files"
branch_labels = None
depends_on = None

_FACTS = {
    "camera_serial": sa.String(),
    "officer_id": sa.String(),
    "vehicle_id": sa.String(),
    "profile": sa.String(),
    "camera_start": sa.DateTime(),
    "camera_end": sa.DateTime(),
    "corrected_start": sa.DateTime(),
    "corrected_end": sa.DateTime(),
    "clock_offset_seconds": sa.Float(),
    "clock_offset_uncertainty_seconds": sa.Float(),
}


def _facts_key(serial, name, officer, start) -> str:
    """clips/sightings.py:sighting_key without a source key (a frozen copy: migrations never
    import the application)."""
    when = start.isoformat() if start is not None else None  # naive UTC, as stored
    text = json.dumps(["facts", serial, name, officer, when], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade() -> None:
    sightings = op.create_table(
        "clip_sightings",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("clip_id", sa.String(32), nullable=False),
        sa.Column("device_id", sa.String(32), nullable=False),
        sa.Column("sighting_key", sa.String(64), nullable=False),
        sa.Column("source_key", sa.Text(), nullable=True),
        sa.Column("source_relpath", sa.String(1024), nullable=True),
        sa.Column("original_name", sa.String(1024), nullable=False),
        sa.Column("camera_serial", sa.String(128), nullable=True),
        sa.Column("officer_id", sa.String(64), nullable=True),
        sa.Column("vehicle_id", sa.String(64), nullable=True),
        sa.Column("profile", sa.String(100), nullable=True),
        sa.Column("camera_start", sa.DateTime(), nullable=True),
        sa.Column("camera_end", sa.DateTime(), nullable=True),
        sa.Column("corrected_start", sa.DateTime(), nullable=True),
        sa.Column("corrected_end", sa.DateTime(), nullable=True),
        sa.Column("clock_offset_seconds", sa.Float(), nullable=True),
        sa.Column("clock_offset_uncertainty_seconds", sa.Float(), nullable=True),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["clip_id"], ["clips.id"], name=op.f("fk_clip_sightings_clip_id_clips")),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_clip_sightings_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clip_sightings")),
        sa.UniqueConstraint("clip_id", "sighting_key", name="uq_clip_sightings_clip_key"),
    )
    op.create_index(op.f("ix_clip_sightings_clip_id"), "clip_sightings", ["clip_id"])
    op.create_index("ix_clip_sightings_officer_start", "clip_sightings", ["officer_id", "corrected_start"])
    op.create_index("ix_clip_sightings_serial_clip", "clip_sightings", ["camera_serial", "clip_id"])
    op.create_index("ix_clip_sightings_vehicle_start", "clip_sightings", ["vehicle_id", "corrected_start"])
    _backfill(sightings)


def _backfill(sightings: sa.Table) -> None:
    clips = sa.table(
        "clips",
        sa.column("id", sa.String()),
        sa.column("device_id", sa.String()),
        sa.column("original_name", sa.String()),
        sa.column("registered_at", sa.DateTime()),
        *(sa.column(name, kind) for name, kind in _FACTS.items()),
    )
    bind, last = op.get_bind(), ""
    while True:
        rows = bind.execute(sa.select(clips).where(clips.c.id > last).order_by(clips.c.id).limit(1000)).all()
        if not rows:
            return
        op.bulk_insert(
            sightings,
            [
                {
                    "id": uuid.uuid4().hex,
                    "clip_id": r.id,
                    "device_id": r.device_id,
                    "sighting_key": _facts_key(
                        r.camera_serial, r.original_name, r.officer_id, r.camera_start
                    ),
                    "original_name": r.original_name,
                    "registered_at": r.registered_at,
                    **{c: getattr(r, c) for c in _FACTS},
                }
                for r in rows
            ],
        )
        last = rows[-1].id


def downgrade() -> None:
    op.drop_table("clip_sightings")
