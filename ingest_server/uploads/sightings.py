"""Register's sighting hook: each register call is one source's sighting of the bytes
(clips/sightings.py says what a sighting is and how a source is named).

- `add`: in the register transaction of a new clip, its first sighting.
- `note`: a register of bytes the device already has a clip for records this
  source's sighting at once (commits), whatever the clip's state, before any
  early answer; a stored clip that gained a sighting gets its empty fields filled
  from it and is linked to reports again (its new officer or times may put it on
  one), its retention recomputed (uploads/after_store.py). The clip row itself is
  never written here while the clip is not stored: its completion may be running.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ingest_server.auth.service import Principal
from ingest_server.clips import sightings
from ingest_server.clips.models import STORED, Clip, ClipSighting
from ingest_server.context import ServerContext
from ingest_server.uploads.after_store import after_clip_stored
from ingest_server.uploads.schemas import MetadataIn


def _corrected(raw: datetime | None, corrected: datetime | None, offset: float | None) -> datetime | None:
    """As register corrects the clip: offset = camera clock - true time, at the dock."""
    if corrected is not None or raw is None or offset is None:
        return corrected
    return raw - timedelta(seconds=offset)


def facts_of(metadata: MetadataIn, device: Principal) -> sightings.SightingFacts:
    offset = metadata.clock_offset_seconds
    return sightings.SightingFacts(
        original_name=metadata.original_name,
        source_key=metadata.source_key,
        source_relpath=metadata.source_relpath,
        camera_serial=metadata.camera_serial,
        officer_id=metadata.officer_id,
        vehicle_id=metadata.vehicle_id or device.vehicle_id,
        profile=metadata.profile,
        camera_start=metadata.camera_start,
        camera_end=metadata.camera_end,
        corrected_start=_corrected(metadata.camera_start, metadata.corrected_start, offset),
        corrected_end=_corrected(metadata.camera_end, metadata.corrected_end, offset),
        clock_offset_seconds=metadata.clock_offset_seconds,
        clock_offset_uncertainty_seconds=metadata.clock_offset_uncertainty_seconds,
    )


def add(
    *, session: Session, clip: Clip, device: Principal, metadata: MetadataIn, source: str | None
) -> ClipSighting | None:
    return sightings.record(
        session=session,
        clip=clip,
        device_id=device.id,
        facts=facts_of(metadata, device),
        actor=device.label,
        source=source,
    )


def note(
    *,
    ctx: ServerContext,
    session: Session,
    clip: Clip,
    device: Principal,
    metadata: MetadataIn,
    source: str | None,
) -> None:
    added = add(session=session, clip=clip, device=device, metadata=metadata, source=source)
    session.commit()
    if added is not None and clip.state == STORED:
        after_clip_stored(ctx=ctx, session=session, clip=clip, source=source)
