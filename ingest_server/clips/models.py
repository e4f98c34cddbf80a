"""Clip rows. Evidence facts (hash, size, manifest, times, storage location) are
immutable once stored, and this module is the one place that enforces it, for
every write: a `before_flush` listener on every SQLAlchemy session refuses, with
`ImmutableClipError`, any flush that changes a column of a clip the database
holds as stored (or deleted) other than those in `MUTABLE_WHEN_STORED`, any
state change other than `STATE_CHANGES_WHEN_STORED`, or deletes such a row;
bulk UPDATE / DELETE statements on `clips` through a session are refused outright
(they would skip the check). Code never has to remember to ask.

The allowed writes, and who makes them:
- `category`: a custodian's category change (retention_apply/appliers.py:category);
- `retain_until`: the mirror of the store's Object Lock date, which only grows
  (retention_apply/recompute.py:apply);
- `state` stored -> deleted: the sweeper, after the deletion certificate is
  locked in the store (sweeper/service.py:_delete_one);
- a column of `FILLED_FROM_SIGHTINGS` that is still empty: a later sighting of
  the same bytes that knows it (clips/sightings.py:record), audited there.

A `ClipSighting` is one place the bytes were found (camera, name, officer,
times); a clip has one per distinct source. Sightings are records: the same
listener refuses any change to one, or its deletion.

Other evidence rows get the same guard by registering a `Protection` with
`protect(model, rule)` (a model with `id` and `state`): `related/models.py` does
for a clip's related files (sidecars). The listener, the allow-list check and the
bulk refusal are these, for every protected table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ingest_server.db import Base
from ingest_server.types import UTCDateTime, new_id, utcnow

UPLOADING, VERIFYING, STORED, REJECTED = "uploading", "verifying", "stored", "rejected"
DELETED = "deleted"  # by the retention sweeper, with a deletion certificate
STATES = (UPLOADING, VERIFYING, STORED, REJECTED, DELETED)
DEFAULT_CATEGORY = "unclassified"
# what may change once a clip is stored evidence (see the module docstring)
MUTABLE_WHEN_STORED = frozenset({"category", "retain_until"})
STATE_CHANGES_WHEN_STORED = frozenset({(STORED, DELETED)})
PROTECTED_STATES = frozenset({STORED, DELETED})
# display facts a stored clip may still gain once, from a later sighting, while they are empty
SIGHTING_IDENTITY = ("officer_id", "camera_serial", "vehicle_id", "profile")
SIGHTING_TIMES = (
    "camera_start",
    "camera_end",
    "corrected_start",
    "corrected_end",
    "clock_offset_seconds",
    "clock_offset_uncertainty_seconds",
)
FILLED_FROM_SIGHTINGS = frozenset((*SIGHTING_IDENTITY, *SIGHTING_TIMES))


class ImmutableClipError(Exception):
    pass


@dataclass(frozen=True)
class Protection:
    """How rows of a model are guarded once the database holds them in one of `states`."""

    label: Callable[[Any], str]  # the row in an error message: "clip <id>"
    states: frozenset[str]
    mutable: frozenset[str] = frozenset()  # columns that may still change
    state_changes: frozenset[tuple[str, str]] = frozenset()  # (from, to) allowed
    fillable: frozenset[str] = frozenset()  # columns that may be set once while still empty


PROTECTED: dict[type[Base], Protection] = {}
RECORD_TABLES = frozenset({"clip_sightings"})  # never changed at all (the listener below)


def protect(model: type[Base], rule: Protection) -> None:
    """Guard `model`'s rows (it has `id` and `state` columns) by `rule`, in every session."""
    PROTECTED[model] = rule


class Clip(Base):
    __tablename__ = "clips"
    __table_args__ = (
        UniqueConstraint("device_id", "sha256", name="uq_clips_device_sha256"),
        Index("ix_clips_corrected_start", "corrected_start"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    part_size: Mapped[int] = mapped_column(BigInteger)
    composite: Mapped[str] = mapped_column(String(80))
    manifest_json: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True, default=UPLOADING)
    upload_id: Mapped[str | None] = mapped_column(String(1024))
    object_key: Mapped[str] = mapped_column(String(1024))
    version_id: Mapped[str | None] = mapped_column(String(1024))
    camera_serial: Mapped[str | None] = mapped_column(String(128))
    officer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(64), index=True)
    profile: Mapped[str | None] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(1024))
    camera_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    camera_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrected_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrected_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_offset_seconds: Mapped[float | None] = mapped_column(Float)
    clock_offset_uncertainty_seconds: Mapped[float | None] = mapped_column(Float)  # ± seconds
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    container: Mapped[str | None] = mapped_column(String(64))
    # what the server itself read from the stored bytes (media_types.sniff); the only basis
    # for the Content-Type an original is served with
    media_container: Mapped[str | None] = mapped_column(String(32))
    codec: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    fps: Mapped[float | None] = mapped_column(Float)
    has_audio: Mapped[bool | None] = mapped_column(Boolean)
    flags_json: Mapped[str] = mapped_column(Text, default="[]")
    thumbnail_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary)
    category: Mapped[str] = mapped_column(String(64), index=True, default=DEFAULT_CATEGORY)
    retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection: Mapped[str | None] = mapped_column(Text)
    receipt_json: Mapped[str | None] = mapped_column(Text)
    # Optimistic concurrency: an UPDATE from a request that read an older row fails
    # (StaleDataError) instead of silently overwriting, e.g. two racing completions.
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}

    sightings: Mapped[list[ClipSighting]] = relationship(
        back_populates="clip", order_by=lambda: (ClipSighting.registered_at, ClipSighting.id)
    )


class ClipSighting(Base):
    """One sighting of a clip's bytes: which camera, under which name, whose, when (as that
    source said). `sighting_key` names the source, so a retried register adds nothing."""

    __tablename__ = "clip_sightings"
    __table_args__ = (
        UniqueConstraint("clip_id", "sighting_key", name="uq_clip_sightings_clip_key"),
        Index("ix_clip_sightings_officer_start", "officer_id", "corrected_start"),
        Index("ix_clip_sightings_serial_clip", "camera_serial", "clip_id"),
        Index("ix_clip_sightings_vehicle_start", "vehicle_id", "corrected_start"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    clip_id: Mapped[str] = mapped_column(ForeignKey("clips.id"), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    sighting_key: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str | None] = mapped_column(Text)  # the agent's own key of the source file
    source_relpath: Mapped[str | None] = mapped_column(String(1024))
    original_name: Mapped[str] = mapped_column(String(1024))
    camera_serial: Mapped[str | None] = mapped_column(String(128))
    officer_id: Mapped[str | None] = mapped_column(String(64))
    vehicle_id: Mapped[str | None] = mapped_column(String(64))
    profile: Mapped[str | None] = mapped_column(String(100))
    camera_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    camera_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrected_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrected_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_offset_seconds: Mapped[float | None] = mapped_column(Float)
    clock_offset_uncertainty_seconds: Mapped[float | None] = mapped_column(Float)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    clip: Mapped[Clip] = relationship(back_populates="sightings")


protect(
    Clip,
    Protection(
        label=lambda clip: f"clip {clip.id}",
        states=PROTECTED_STATES,
        mutable=MUTABLE_WHEN_STORED,
        state_changes=STATE_CHANGES_WHEN_STORED,
        fillable=FILLED_FROM_SIGHTINGS,
    ),
)


def _state_in_database(session: Session, row: Any) -> str | None:
    """The state the database holds for `row` (None for a row not yet inserted)."""
    history = inspect(row).attrs.state.history
    if not history.has_changes():
        return row.state
    if history.deleted:
        return history.deleted[0]
    model = type(row)
    with session.no_autoflush:  # changed without ever being loaded: ask the database
        return session.execute(select(model.state).where(model.id == row.id)).scalar_one_or_none()


def refused_changes(*, session: Session, row: Any) -> list[str]:
    """The columns of `row` (of a protected model) whose pending change its `Protection` refuses."""
    rule = PROTECTED[type(row)]
    was = _state_in_database(session, row)
    if was not in rule.states:
        return []
    refused = []
    for attr in inspect(row).mapper.column_attrs:
        history = inspect(row).attrs[attr.key].history
        if not history.has_changes() or attr.key in rule.mutable:
            continue
        if history.deleted and history.added and history.deleted[0] == history.added[0]:
            continue  # the same value written again
        if attr.key == "state" and (was, row.state) in rule.state_changes:
            continue
        if attr.key in rule.fillable and list(history.deleted) == [None]:
            continue  # an empty display fact filled once (clips/sightings.py)
        refused.append(attr.key)
    return refused


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_stored_evidence(session: Session, flush_context, instances) -> None:
    for obj in session.dirty:
        rule = PROTECTED.get(type(obj))
        if rule is not None and session.is_modified(obj, include_collections=False):
            refused = refused_changes(session=session, row=obj)
            if refused:
                raise ImmutableClipError(
                    f"{rule.label(obj)} is stored evidence: {', '.join(refused)} cannot change"
                )
        if isinstance(obj, ClipSighting) and session.is_modified(obj, include_collections=False):
            raise ImmutableClipError(f"sighting {obj.id} of clip {obj.clip_id} is a record: it cannot change")
    for obj in session.deleted:
        if isinstance(obj, ClipSighting):
            raise ImmutableClipError(
                f"sighting {obj.id} of clip {obj.clip_id} is a record: it cannot be deleted"
            )
        rule = PROTECTED.get(type(obj))
        if rule is not None and _state_in_database(session, obj) in rule.states:
            raise ImmutableClipError(f"{rule.label(obj)} is stored evidence: the row cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_writes_to_clips(state) -> None:
    table = getattr(state.statement.table, "name", None) if state.is_update or state.is_delete else None
    if table in RECORD_TABLES or table in {model.__tablename__ for model in PROTECTED}:
        raise ImmutableClipError(
            f"bulk UPDATE/DELETE of {table} is refused: change its rows through the session, "
            "where the stored-evidence rule is checked"
        )
