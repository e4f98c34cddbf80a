"""Related files of a clip: the camera's sidecars (JSON, XML, CSV, GPS tracks), evidence
like the original. One row per file the agent declared at register, keyed by
(clip, name on the camera); `version_id` is the one locked version in the store.
A GPS track the agent's profile read from a sidecar is kept in `gps_tracks`.

States: `pending` (declared, not yet verified), `stored` (verified and locked with
its clip, listed in the clip's receipt), `deleted` (by the sweeper, with the clip).

Once the database holds a row as stored (or deleted) it is evidence, guarded by the
clips' listener (clips/models.py:protect): no column may change (sha256, size, key,
version, name, ...) except the sweeper's stored -> deleted
(related/service.py:mark_deleted), the row cannot be deleted, and bulk UPDATE /
DELETE of `related_files` through a session is refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ingest_server.clips.models import Protection, protect
from ingest_server.db import Base
from ingest_server.types import UTCDateTime, new_id

PENDING, STORED, DELETED = "pending", "stored", "deleted"
KINDS = ("json", "xml", "csv", "gps", "other")


class RelatedFile(Base):
    __tablename__ = "related_files"
    __table_args__ = (UniqueConstraint("clip_id", "name", name="uq_related_files_clip_name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    clip_id: Mapped[str] = mapped_column(ForeignKey("clips.id"), index=True)
    name: Mapped[str] = mapped_column(String(1024))  # relative path on the camera
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    object_key: Mapped[str] = mapped_column(String(1024))
    version_id: Mapped[str | None] = mapped_column(String(1024))
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


protect(
    RelatedFile,
    Protection(
        label=lambda row: f"related file {row.name!r} of clip {row.clip_id}",
        states=frozenset({STORED, DELETED}),
        state_changes=frozenset({(STORED, DELETED)}),
    ),
)


class GpsTrack(Base):
    """The track as the agent's profile read it from a sidecar (the sidecar itself is the evidence)."""

    __tablename__ = "gps_tracks"

    clip_id: Mapped[str] = mapped_column(ForeignKey("clips.id"), primary_key=True)
    sidecar_name: Mapped[str | None] = mapped_column(String(1024))
    point_count: Mapped[int] = mapped_column(Integer)
    points_json: Mapped[str] = mapped_column(Text)  # [[iso time, lat, lon], ...]
