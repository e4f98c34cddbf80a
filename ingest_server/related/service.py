"""Queries on a clip's related files and GPS track, for retention, the sweeper, export and the portal."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.related.models import DELETED, STORED, GpsTrack, RelatedFile


def of_clip(*, session: Session, clip_id: str, states: tuple[str, ...] = (STORED,)) -> list[RelatedFile]:
    """The clip's related files in `states` (default: stored), by name."""
    query = select(RelatedFile).where(RelatedFile.clip_id == clip_id, RelatedFile.state.in_(states))
    return list(session.execute(query.order_by(RelatedFile.name)).scalars())


def get(*, session: Session, clip_id: str, related_id: str) -> RelatedFile | None:
    row = session.get(RelatedFile, related_id[:32])
    return row if row is not None and row.clip_id == clip_id and row.state == STORED else None


def mark_deleted(*, session: Session, clip_id: str) -> None:
    """The sweeper deleted the clip and these files with it (after its certificate)."""
    for row in of_clip(session=session, clip_id=clip_id):
        row.state = DELETED


def track_of(*, session: Session, clip_id: str) -> tuple[str | None, list[tuple[datetime, float, float]]]:
    """(sidecar name, points) of the clip's GPS track; no points when there is none."""
    row = session.get(GpsTrack, clip_id)
    if row is None:
        return None, []
    points = [
        (datetime.fromisoformat(t), float(lat), float(lon)) for t, lat, lon in json.loads(row.points_json)
    ]
    return row.sidecar_name, points
