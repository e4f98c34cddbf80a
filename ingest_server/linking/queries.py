"""Linking's database reads: candidate clips for a report and reports for a clip
(each one indexed range scan per officer or vehicle), existing pairs, and the
active links of clips and reports. No writes.

A clip is matched by each of its windows: its own officer, vehicle and times,
and each sighting's (another camera or name of the same bytes: clips/sightings.py;
a sighting without times uses the clip's)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ingest_server.clips.models import STORED, Clip, ClipSighting
from ingest_server.linking.matcher import Buffers, ClipWindow, ReportWindow, clip_window
from ingest_server.linking.models import ClipLink
from ingest_server.reports.models import OFFICER, VEHICLE, Report, ReportMember


def report_window(report: Report) -> ReportWindow:
    return ReportWindow(
        report.id,
        report.number,
        report.incident_start,
        report.incident_end,
        frozenset(json.loads(report.officers_json)),
        frozenset(json.loads(report.vehicles_json)),
    )


def window_of(clip: Clip) -> ClipWindow | None:
    if clip.corrected_start is not None:
        return clip_window(
            clip.id,
            clip.officer_id,
            clip.vehicle_id,
            clip.corrected_start,
            clip.corrected_end,
            clip.duration_seconds,
        )
    return clip_window(
        clip.id, clip.officer_id, clip.vehicle_id, clip.camera_start, clip.camera_end, clip.duration_seconds
    )


def windows_of(clip: Clip) -> list[ClipWindow]:
    """The clip's own window, then one per sighting that names someone else or other times."""
    own = window_of(clip)
    found = [own] if own else []
    for s in clip.sightings:
        start = s.corrected_start or s.camera_start
        end = s.corrected_end if s.corrected_start else s.camera_end
        if start is None and own is not None:
            start, end = own.start, own.end
        window = clip_window(clip.id, s.officer_id, s.vehicle_id, start, end, clip.duration_seconds)
        if window is not None and window not in found:
            found.append(window)
    return found


def existing_pairs(*, session: Session, clip_ids=None, report_ids=None) -> set[tuple[str, str]]:
    query = select(ClipLink.clip_id, ClipLink.report_id)
    if clip_ids is not None:
        query = query.where(ClipLink.clip_id.in_(list(clip_ids)))
    if report_ids is not None:
        query = query.where(ClipLink.report_id.in_(list(report_ids)))
    return {(c, r) for c, r in session.execute(query)}


def candidate_clips(*, session: Session, report: Report, buffers: Buffers, max_clip: timedelta) -> list[Clip]:
    win = report_window(report)
    low, high = win.widened(buffers)
    found: dict[str, Clip] = {}
    timed = and_(Clip.corrected_start <= high, Clip.corrected_start >= low - max_clip)
    untimed = and_(
        Clip.corrected_start.is_(None), Clip.camera_start <= high, Clip.camera_start >= low - max_clip
    )
    for column, values in ((Clip.officer_id, win.officers), (Clip.vehicle_id, win.vehicles)):
        for value in sorted(values):
            query = select(Clip).where(column == value, Clip.state == STORED, or_(timed, untimed))
            for clip in session.execute(query).scalars():
                found[clip.id] = clip
    s_timed = and_(ClipSighting.corrected_start <= high, ClipSighting.corrected_start >= low - max_clip)
    s_raw = and_(
        ClipSighting.corrected_start.is_(None),
        ClipSighting.camera_start <= high,
        ClipSighting.camera_start >= low - max_clip,
    )
    s_untimed = and_(  # a sighting without times (a hard link) has the clip's
        ClipSighting.corrected_start.is_(None), ClipSighting.camera_start.is_(None), or_(timed, untimed)
    )
    for column, values in ((ClipSighting.officer_id, win.officers), (ClipSighting.vehicle_id, win.vehicles)):
        for value in sorted(values):  # a sighting under this officer or vehicle, by its own times
            query = (
                select(Clip)
                .join(ClipSighting, ClipSighting.clip_id == Clip.id)
                .where(column == value, Clip.state == STORED, or_(s_timed, s_raw, s_untimed))
            )
            for clip in session.execute(query).scalars():
                found[clip.id] = clip
    return list(found.values())


def reports_for_clip(*, session: Session, clip: Clip, buffers: Buffers) -> list[Report]:
    found: dict[str, Report] = {}
    for window in windows_of(clip):
        keys = [(OFFICER, window.officer_id), (VEHICLE, window.vehicle_id)]
        if not any(v for _, v in keys):
            continue
        member = or_(*(and_(ReportMember.kind == k, ReportMember.value == v) for k, v in keys if v))
        ids = select(ReportMember.report_id).where(member)
        query = select(Report).where(
            Report.id.in_(ids),
            Report.incident_start <= window.end + buffers.before,
            Report.incident_end >= window.start - buffers.after,
        )
        for report in session.execute(query).scalars():
            found[report.id] = report
    return list(found.values())


def active_links(*, session: Session, clip_id: str | None = None, report_id: str | None = None):
    query = select(ClipLink, Report).join(Report, Report.id == ClipLink.report_id)
    if clip_id:
        query = query.where(ClipLink.clip_id == clip_id)
    if report_id:
        query = query.where(ClipLink.report_id == report_id)
    return list(session.execute(query.order_by(ClipLink.linked_at, ClipLink.id)))


def linked_reports(*, session: Session, clip_ids: Iterable[str]) -> dict[str, list[Report]]:
    """Active links: clip id -> its reports."""
    ids = list(clip_ids)
    out: dict[str, list[Report]] = {cid: [] for cid in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = (
            select(ClipLink.clip_id, Report)
            .join(Report, Report.id == ClipLink.report_id)
            .where(ClipLink.clip_id.in_(chunk), ClipLink.unlinked_at.is_(None))
        )
        for clip_id, report in session.execute(query):
            out[clip_id].append(report)
    return out
