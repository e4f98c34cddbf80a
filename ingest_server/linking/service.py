"""Linking effects: find candidate clips or reports in the database, ask the pure
matcher, and record each new link with its reason, audited.

- `link_report(session=, report=, ...)`: when a report is created or changed, link
  every stored clip of its officers or vehicles overlapping its widened window.
  One indexed range scan per officer and per vehicle (clips.officer_id/vehicle_id
  + corrected_start, migration 0100).
- `link_clip(session=, clip=, ...)`: when a clip is stored, link it to every
  report naming its officer or vehicle whose window it overlaps (called from
  uploads/after_store.py, which then recomputes the clip's retention; again
  when a stored clip gains a sighting, uploads/sightings.py).

Every officer and vehicle a clip was found under counts: its own and each
sighting's, each with its own times (linking/queries.py:windows_of).
- `link_manual` / `unlink`: a custodian's decision, with a reason.

Every change of a report's set of clips requests the report's alignment job
(jobs/kinds.py `ALIGN_REPORT`; one per report at a time, run by a worker).

Automatic linking only ever adds links (a link never shortens retention, except
in the one case the guard catches). A pair a custodian unlinked is never linked
again automatically: the custodian's decision stands.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.audit.source import audit_source
from ingest_server.clips.models import STORED, Clip
from ingest_server.jobs import kinds as job_kinds
from ingest_server.jobs import service as jobs
from ingest_server.linking.config import LinkingSettings
from ingest_server.linking.matcher import match
from ingest_server.linking.models import AUTO, MANUAL, ClipLink
from ingest_server.linking.queries import (  # noqa: F401 (active_links, linked_reports: used by others)
    active_links,
    candidate_clips,
    existing_pairs,
    linked_reports,
    report_window,
    reports_for_clip,
    window_of,
    windows_of,
)
from ingest_server.refusals import Refused, Why
from ingest_server.reports.models import Report

SYSTEM_ACTOR = "system:linking"


class LinkError(Refused):
    pass


def _add(
    session: Session, clip_id: str, report: Report, reason: str, origin: str, actor: str, now
) -> ClipLink:
    link = ClipLink(
        clip_id=clip_id, report_id=report.id, origin=origin, reason=reason, linked_by=actor, linked_at=now
    )
    session.add(link)
    audit.append(
        session=session,
        source=audit_source(),
        component="linking",
        event_type="link.created",
        actor=actor,
        outcome="success",
        object_type="clip",
        object_id=clip_id,
        detail={"report_id": report.id, "report": report.number, "origin": origin, "reason": reason},
    )
    _clips_changed(session, report, actor, now)
    return link


def _clips_changed(session: Session, report: Report, actor: str, now) -> None:
    """A report's set of clips changed: (re)align its clips in the background."""
    jobs.request(session=session, kind=job_kinds.ALIGN_REPORT, subject=report.id, actor=actor, now=now)


def _reason(report_win, clip: Clip, buffers) -> str | None:
    """The first of the clip's windows (its own, then each sighting's) that matches, in words."""
    for window in windows_of(clip):
        reason = match(report_win, window, buffers)
        if reason:
            return reason
    return None


def link_report(
    *, session: Session, report: Report, actor: str, now: datetime, config: LinkingSettings | None = None
) -> list[ClipLink]:
    """Link every matching stored clip not linked (or unlinked) before; returns the new links."""
    config = config or LinkingSettings()
    buffers = config.buffers()
    win = report_window(report)
    clips = candidate_clips(
        session=session, report=report, buffers=buffers, max_clip=timedelta(hours=config.max_clip_hours)
    )
    known = existing_pairs(session=session, report_ids=[report.id])
    links = []
    for clip in sorted(clips, key=lambda c: c.id):
        if (clip.id, report.id) in known:
            continue
        reason = _reason(win, clip, buffers)
        if reason:
            links.append(_add(session, clip.id, report, reason, AUTO, actor, now))
    session.flush()
    return links


def link_clip(
    *, session: Session, clip: Clip, actor: str, now: datetime, config: LinkingSettings | None = None
) -> list[ClipLink]:
    buffers = (config or LinkingSettings()).buffers()
    if clip.state != STORED:
        return []
    known = existing_pairs(session=session, clip_ids=[clip.id])
    links = []
    for report in sorted(
        reports_for_clip(session=session, clip=clip, buffers=buffers), key=lambda r: r.number
    ):
        if (clip.id, report.id) in known:
            continue
        reason = _reason(report_window(report), clip, buffers)
        if reason:
            links.append(_add(session, clip.id, report, reason, AUTO, actor, now))
    session.flush()
    return links


def link_manual(*, session: Session, clip: Clip, report: Report, reason: str, actor: str, now) -> ClipLink:
    current = session.execute(
        select(ClipLink).where(
            ClipLink.clip_id == clip.id, ClipLink.report_id == report.id, ClipLink.unlinked_at.is_(None)
        )
    ).scalar_one_or_none()
    if current is not None:
        raise LinkError(Why.CONFLICT, f"clip {clip.id} is already linked to report {report.number}")
    link = _add(session, clip.id, report, f"linked by hand: {reason}", MANUAL, actor, now)
    session.flush()
    return link


def unlink(*, session: Session, clip_id: str, report: Report, reason: str, actor: str, now) -> list[str]:
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
        raise LinkError(Why.NOT_FOUND, f"clip {clip_id} is not linked to report {report.number}")
    for link in links:
        link.unlinked_at, link.unlinked_by, link.unlink_reason = now, actor, reason
    audit.append(
        session=session,
        source=audit_source(),
        component="linking",
        event_type="link.removed",
        actor=actor,
        outcome="success",
        object_type="clip",
        object_id=clip_id,
        detail={"report_id": report.id, "report": report.number, "reason": reason},
    )
    _clips_changed(session, report, actor, now)
    session.flush()
    return [clip_id]
