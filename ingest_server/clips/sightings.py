"""Sightings: every place a clip's bytes were found, and what each source said of them.

Register is idempotent on (device, sha256), so the same bytes under another name
or on another camera come back as the same clip. They are not dropped: each
distinct source is a `ClipSighting` with its own camera serial, officer, vehicle,
name, raw and corrected times and clock offset, audited on the clip as
`clip.sighted` (the first sighting too: every clip has at least one). A source is
named by `sighting_key`: the agent's own key of the source file when it sends one
(serial, relative path, size, mtime: edge_agent/dock/scan.py:source_key), else
the facts that tell two sources apart (serial, name, officer, start). The same
source registered again adds nothing.

The clip's own display fields are those its first registration gave; once it is
stored, its sightings fill only those still empty (officer, camera serial,
vehicle, profile; the times and the clock offset field by field: `fill`, run when
the clip is stored and when a stored clip gains a sighting), so a clip first seen
through a hard link without a sidecar gains the officer and start time of its
real name. A field already set never changes (clips/models.py allows exactly
this fill). Recording a sighting never touches the clip row, so it cannot collide
with a completion running on the same clip.
Search, the trooper's own-clips rule and report linking look at every sighting.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.clips.models import SIGHTING_IDENTITY, SIGHTING_TIMES, STORED, Clip, ClipSighting

# filled on the clip when empty, each on its own (clips/models.py:FILLED_FROM_SIGHTINGS)
IDENTITY, TIMES = SIGHTING_IDENTITY, SIGHTING_TIMES
SEARCHABLE = ("officer_id", "camera_serial", "vehicle_id")
# what a court package records of each sighting (export/proofs.py)
FACTS = ("id", "original_name", "source_relpath", *IDENTITY, *TIMES, "registered_at")


@dataclass(frozen=True)
class SightingFacts:
    """What one source said of the bytes (the register call's metadata)."""

    original_name: str
    source_key: str | None = None
    source_relpath: str | None = None
    camera_serial: str | None = None
    officer_id: str | None = None
    vehicle_id: str | None = None
    profile: str | None = None
    camera_start: datetime | None = None
    camera_end: datetime | None = None
    corrected_start: datetime | None = None
    corrected_end: datetime | None = None
    clock_offset_seconds: float | None = None
    clock_offset_uncertainty_seconds: float | None = None


def _naive_utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() if moment is not None else None


def sighting_key(facts: SightingFacts) -> str:
    """The source's name: the agent's source key, else (serial, name, officer, start).
    The second form is frozen in migration 0350 (clips registered before sightings)."""
    if facts.source_key:
        parts: list = ["agent", facts.source_key]
    else:
        start = _naive_utc(facts.camera_start)
        parts = ["facts", facts.camera_serial, facts.original_name, facts.officer_id, start]
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode("utf-8")).hexdigest()


def record(
    *, session: Session, clip: Clip, device_id: str, facts: SightingFacts, actor: str, source: str | None
) -> ClipSighting | None:
    """Add this source's sighting of `clip` (audited); None if the source was seen before.
    In the caller's transaction. The clip row is not touched (a completion may be running)."""
    key = sighting_key(facts)
    known = select(ClipSighting.id).where(ClipSighting.clip_id == clip.id, ClipSighting.sighting_key == key)
    if session.execute(known).first() is not None:
        return None
    sighting = ClipSighting(clip_id=clip.id, device_id=device_id, sighting_key=key, **asdict(facts))
    try:
        with session.begin_nested():
            session.add(sighting)
    except IntegrityError:  # the same source registered at the same moment: that one stands
        return None
    session.expire(clip, ["sightings"])  # the collection only; the clip row is not written
    count = session.execute(select(func.count()).where(ClipSighting.clip_id == clip.id)).scalar_one()
    audit.append(
        session=session,
        component="uploads",
        event_type="clip.sighted",
        actor=actor,
        outcome="success",
        object_type="clip",
        object_id=clip.id,
        source=source,
        detail={
            "sighting_id": sighting.id,
            "sighting": count,
            "original_name": facts.original_name,
            "source_relpath": facts.source_relpath,
            "camera_serial": facts.camera_serial,
            "officer_id": facts.officer_id,
            "vehicle_id": facts.vehicle_id,
            "camera_start": facts.camera_start.isoformat() if facts.camera_start else None,
            "corrected_start": facts.corrected_start.isoformat() if facts.corrected_start else None,
            "clock_offset_seconds": facts.clock_offset_seconds,
        },
    )
    return sighting


def fill(*, session: Session, clip: Clip, actor: str, source: str | None) -> dict[str, str]:
    """Fill a stored clip's empty display fields from its sightings, first first; audited as
    `clip.filled_from_sightings`. Returns {field: the sighting it came from}. Only once the
    clip is stored: before, its completion may be updating the row."""
    if clip.state != STORED:
        return {}
    filled: dict[str, str] = {}
    for sighting in of_clip(session=session, clip_id=clip.id):
        for name in (*IDENTITY, *TIMES):
            if getattr(clip, name) is None and getattr(sighting, name) is not None:
                setattr(clip, name, getattr(sighting, name))
                filled[name] = sighting.id
    if filled:
        audit.append(
            session=session,
            component="uploads",
            event_type="clip.filled_from_sightings",
            actor=actor,
            outcome="success",
            object_type="clip",
            object_id=clip.id,
            source=source,
            detail={"filled": filled},
        )
    return filled


def of_clip(*, session: Session, clip_id: str) -> list[ClipSighting]:
    query = select(ClipSighting).where(ClipSighting.clip_id == clip_id)
    return list(session.execute(query.order_by(ClipSighting.registered_at, ClipSighting.id)).scalars())


def matches(field: str, value: str) -> ColumnElement[bool]:
    """Clips whose own `field` is `value`, or one of whose sightings says so (indexed both ways)."""
    if field not in SEARCHABLE:
        raise ValueError(f"{field} is not searchable through sightings")
    seen = select(ClipSighting.clip_id).where(getattr(ClipSighting, field) == value)
    return or_(getattr(Clip, field) == value, Clip.id.in_(seen))


def officers_of(clip: Clip) -> set[str]:
    """Every officer the clip was found under (its own field and each sighting's)."""
    return {o for o in (clip.officer_id, *(s.officer_id for s in clip.sightings)) if o}


def in_words(sighting: ClipSighting) -> str:
    """One sighting as a line of a report: where, whose, when (as that source said)."""

    def when(moment: datetime | None) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "unknown"

    where = sighting.source_relpath or sighting.original_name
    offset = sighting.clock_offset_seconds
    parts = [
        f"camera {sighting.camera_serial or 'unknown'}"
        + (f" ({sighting.profile})" if sighting.profile else ""),
        f"as {where}",
        f"officer {sighting.officer_id or 'unknown'}",
        f"vehicle {sighting.vehicle_id or 'none'}",
        f"camera clock {when(sighting.camera_start)}",
        f"corrected {when(sighting.corrected_start)}",
        f"clock offset {offset:+.3f} s" if offset is not None else "clock offset unknown",
        f"registered {when(sighting.registered_at)}",
    ]
    return ", ".join(parts)
