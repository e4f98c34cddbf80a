"""Linking effects: find candidate clips or reports in the database, ask the pure
matcher, and record each new link with its reason, audited.

- `link_report(session, report, ...)`: when a report is created or changed, link
  every stored clip of its officers or vehicles overlapping its widened window.
  One indexed range scan per officer and per vehicle (clips.officer_id/vehicle_id
  + corrected_start, migration 0100).
- `on_clip_stored(ctx, session, clip)`: when a clip is stored, link it to every
  report naming its officer or vehicle whose window it overlaps, then recompute
  its retention (the store is told). Call it after the clip is indexed.
- `link_manual` / `unlink`: a custodian's decision, with a reason.

Automatic linking only ever adds links (a link never shortens retention, except
in the one case the guard catches). A pair a custodian unlinked is never linked
again automatically: the custodian's decision stands.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.clips.models import STORED, Clip
from ingest_server.linking.config import LinkingSettings
from ingest_server.linking.matcher import Buffers, ClipWindow, ReportWindow, clip_window, match
from ingest_server.linking.models import AUTO, MANUAL, ClipLink
from ingest_server.reports import audit_source, audit_source_of
from ingest_server.reports.models import OFFICER, VEHICLE, Report, ReportMember

SYSTEM_ACTOR = "system:linking"
log = logging.getLogger(__name__)


class LinkError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


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


def _existing_pairs(session: Session, *, clip_ids=None, report_ids=None) -> set[tuple[str, str]]:
    query = select(ClipLink.clip_id, ClipLink.report_id)
    if clip_ids is not None:
        query = query.where(ClipLink.clip_id.in_(list(clip_ids)))
    if report_ids is not None:
        query = query.where(ClipLink.report_id.in_(list(report_ids)))
    return {(c, r) for c, r in session.execute(query)}


def _add(
    session: Session, clip_id: str, report: Report, reason: str, origin: str, actor: str, now
) -> ClipLink:
    link = ClipLink(
        clip_id=clip_id, report_id=report.id, origin=origin, reason=reason, linked_by=actor, linked_at=now
    )
    session.add(link)
    audit.append(
        session,
        source=audit_source(),
        component="linking",
        event_type="link.created",
        actor=actor,
        outcome="success",
        object_type="clip",
        object_id=clip_id,
        detail={"report_id": report.id, "report": report.number, "origin": origin, "reason": reason},
    )
    return link


def candidate_clips(session: Session, report: Report, buffers: Buffers, max_clip: timedelta) -> list[Clip]:
    win = report_window(report)
    low, high = win.widened(buffers)
    found: dict[str, Clip] = {}
    for column, values in ((Clip.officer_id, win.officers), (Clip.vehicle_id, win.vehicles)):
        for value in sorted(values):
            timed = and_(Clip.corrected_start <= high, Clip.corrected_start >= low - max_clip)
            untimed = and_(
                Clip.corrected_start.is_(None), Clip.camera_start <= high, Clip.camera_start >= low - max_clip
            )
            query = select(Clip).where(column == value, Clip.state == STORED, or_(timed, untimed))
            for clip in session.execute(query).scalars():
                found[clip.id] = clip
    return list(found.values())


def link_report(
    session: Session, report: Report, *, actor: str, now: datetime, config: LinkingSettings | None = None
) -> list[ClipLink]:
    """Link every matching stored clip not linked (or unlinked) before; returns the new links."""
    config = config or LinkingSettings()
    buffers = config.buffers()
    win = report_window(report)
    clips = candidate_clips(session, report, buffers, timedelta(hours=config.max_clip_hours))
    known = _existing_pairs(session, report_ids=[report.id])
    links = []
    for clip in sorted(clips, key=lambda c: c.id):
        if (clip.id, report.id) in known:
            continue
        window = window_of(clip)
        reason = match(win, window, buffers) if window else None
        if reason:
            links.append(_add(session, clip.id, report, reason, AUTO, actor, now))
    session.flush()
    return links


def reports_for_clip(session: Session, clip: Clip, buffers: Buffers) -> list[Report]:
    window = window_of(clip)
    if window is None:
        return []
    keys = [(OFFICER, clip.officer_id), (VEHICLE, clip.vehicle_id)]
    member = or_(*(and_(ReportMember.kind == k, ReportMember.value == v) for k, v in keys if v))
    if not any(v for _, v in keys):
        return []
    ids = select(ReportMember.report_id).where(member)
    query = select(Report).where(
        Report.id.in_(ids),
        Report.incident_start <= window.end + buffers.before,
        Report.incident_end >= window.start - buffers.after,
    )
    return list(session.execute(query).scalars())


def link_clip(
    session: Session, clip: Clip, *, actor: str, now: datetime, config: LinkingSettings | None = None
) -> list[ClipLink]:
    buffers = (config or LinkingSettings()).buffers()
    window = window_of(clip)
    if window is None or clip.state != STORED:
        return []
    known = _existing_pairs(session, clip_ids=[clip.id])
    links = []
    for report in sorted(reports_for_clip(session, clip, buffers), key=lambda r: r.number):
        if (clip.id, report.id) in known:
            continue
        reason = match(report_window(report), window, buffers)
        if reason:
            links.append(_add(session, clip.id, report, reason, AUTO, actor, now))
    session.flush()
    return links


def on_clip_stored(ctx, session: Session, clip: Clip, *, actor: str = SYSTEM_ACTOR) -> list[ClipLink]:
    """Link a newly stored clip to its reports and apply its retention (store told). Commits."""
    from ingest_server.retention_apply import recompute

    now = ctx.clock()
    links = link_clip(session, clip, actor=actor, now=now)
    recompute.apply(ctx, session, [clip.id], actor=actor, now=now)
    return links


def after_clip_stored(ctx, session: Session, clip: Clip, source: str | None = None) -> None:
    """The upload path's hook: `on_clip_stored`, never failing the upload.

    The clip is already stored and receipted when this runs; if linking or the
    store cannot be reached now, the error is logged and the sweeper's catch-up
    (every clip without a retention decision) links and decides it later.
    """
    try:
        with audit_source_of(source):
            on_clip_stored(ctx, session, clip)
    except Exception:
        session.rollback()
        log.exception("linking/retention of clip %s failed; the sweeper's catch-up will retry", clip.id)


def active_links(session: Session, *, clip_id: str | None = None, report_id: str | None = None):
    query = select(ClipLink, Report).join(Report, Report.id == ClipLink.report_id)
    if clip_id:
        query = query.where(ClipLink.clip_id == clip_id)
    if report_id:
        query = query.where(ClipLink.report_id == report_id)
    return list(session.execute(query.order_by(ClipLink.linked_at, ClipLink.id)))


def link_manual(session: Session, clip: Clip, report: Report, *, reason: str, actor: str, now) -> ClipLink:
    current = session.execute(
        select(ClipLink).where(
            ClipLink.clip_id == clip.id, ClipLink.report_id == report.id, ClipLink.unlinked_at.is_(None)
        )
    ).scalar_one_or_none()
    if current is not None:
        raise LinkError(409, f"clip {clip.id} is already linked to report {report.number}")
    link = _add(session, clip.id, report, f"linked by hand: {reason}", MANUAL, actor, now)
    session.flush()
    return link


def unlink(session: Session, clip_id: str, report: Report, *, reason: str, actor: str, now) -> list[str]:
    links = (
        session.execute(
            select(ClipLink).where(
                ClipLink.clip_id == clip_id, ClipLink.report_id == report.id, ClipLink.unlinked_at.is_(None)
            )
        )
        .scalars()
        .all()
    )
    if not links:
        raise LinkError(404, f"clip {clip_id} is not linked to report {report.number}")
    for link in links:
        link.unlinked_at, link.unlinked_by, link.unlink_reason = now, actor, reason
    audit.append(
        session,
        source=audit_source(),
        component="linking",
        event_type="link.removed",
        actor=actor,
        outcome="success",
        object_type="clip",
        object_id=clip_id,
        detail={"report_id": report.id, "report": report.number, "reason": reason},
    )
    session.flush()
    return [clip_id]


def linked_reports(session: Session, clip_ids: Iterable[str]) -> dict[str, list[Report]]:
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
