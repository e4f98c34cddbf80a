"""Clip queries: search with filters and paging, one clip, who may see it.

Keyword-only functions taking the session explicitly. Troopers only ever see
clips recorded under their own officer id (the clip's or any of its sightings':
clips/sightings.py); `visible_to` says so in one place. Search by officer,
vehicle or camera serial matches every sighting too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ingest_server.auth.permissions import OWN_CLIPS_ONLY
from ingest_server.auth.service import Principal
from ingest_server.clips import sightings
from ingest_server.clips.models import Clip
from ingest_server.clips.schemas import ClipPublic, SightingPublic


@dataclass(frozen=True)
class ClipFilter:
    officer_id: str | None = None
    vehicle_id: str | None = None
    camera_serial: str | None = None
    device_id: str | None = None
    category: str | None = None
    sha256: str | None = None
    state: str | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    clip_ids: frozenset[str] | None = None  # only these clips (e.g. the ones linked to a report)


def visible_to(principal: Principal, clip: Clip) -> bool:
    if principal.role in OWN_CLIPS_ONLY:
        return principal.officer_id is not None and principal.officer_id in sightings.officers_of(clip)
    return True


def public(clip: Clip) -> ClipPublic:
    data = {c: getattr(clip, c) for c in ClipPublic.model_fields if c not in ("flags", "sightings")}
    return ClipPublic(
        **data,
        flags=json.loads(clip.flags_json or "[]"),
        sightings=[SightingPublic.model_validate(s) for s in clip.sightings],
    )


def get(*, session: Session, clip_id: str) -> Clip | None:
    return session.get(Clip, clip_id)


def search(
    *,
    session: Session,
    principal: Principal,
    where: ClipFilter,
    limit: int,
    offset: int,
) -> tuple[list[Clip], int]:
    query = select(Clip).options(selectinload(Clip.sightings))
    officer = where.officer_id
    if principal.role in OWN_CLIPS_ONLY:
        if principal.officer_id is None or (officer and officer != principal.officer_id):
            return [], 0
        officer = principal.officer_id
    recorded = Clip.corrected_start  # indexed alone and with officer / vehicle
    for field, value in (
        ("officer_id", officer),
        ("vehicle_id", where.vehicle_id),
        ("camera_serial", where.camera_serial),
    ):
        if value is not None:
            query = query.where(sightings.matches(field, value))
    for column, value in (
        (Clip.device_id, where.device_id),
        (Clip.category, where.category),
        (Clip.sha256, where.sha256),
        (Clip.state, where.state),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.clip_ids is not None:
        query = query.where(Clip.id.in_(sorted(where.clip_ids)))
    if where.recorded_from:
        query = query.where(recorded >= where.recorded_from)
    if where.recorded_to:
        query = query.where(recorded < where.recorded_to)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(recorded.desc(), Clip.id).limit(limit).offset(offset))
    return list(rows.scalars()), total
