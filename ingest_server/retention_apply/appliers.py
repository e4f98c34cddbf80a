"""The changes the guard knows how to apply, by kind. Each takes JSON-able params
(so a change waiting for approval can be applied later exactly as asked), flushes,
never commits, and names the clips whose retention it may move."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.audit.source import audit_source
from ingest_server.clips.models import Clip
from ingest_server.context import ServerContext
from ingest_server.holds import service as holds
from ingest_server.holds.models import Hold
from ingest_server.linking import service as linking
from ingest_server.linking.models import ClipLink
from ingest_server.refusals import Why
from ingest_server.reports import service as reports
from ingest_server.reports.schemas import ReportCreate, ReportUpdate
from ingest_server.retention_apply import policy_store
from ingest_server.retention_apply.kinds import Applied, ChangeError


def _clip(session: Session, clip_id: str) -> Clip:
    clip = session.get(Clip, clip_id)
    if clip is None:
        raise ChangeError(Why.NOT_FOUND, f"no clip {clip_id}")
    return clip


def _report(session: Session, report_id: str):
    report = reports.get(session=session, report_id=report_id)
    if report is None:
        raise ChangeError(Why.NOT_FOUND, f"no report {report_id}")
    return report


def _linked_clip_ids(session: Session, report_id: str) -> list[str]:
    query = select(ClipLink.clip_id).where(ClipLink.report_id == report_id, ClipLink.unlinked_at.is_(None))
    return list(session.execute(query).scalars())


def report_create(
    *, ctx: ServerContext, session: Session, params: dict, actor: str, now: datetime
) -> Applied:
    report = reports.create(
        session=session, body=ReportCreate.model_validate(params["body"]), actor=actor, now=now
    )
    links = linking.link_report(session=session, report=report, actor=actor, now=now)
    return Applied([link.clip_id for link in links], report)


def report_update(
    *, ctx: ServerContext, session: Session, params: dict, actor: str, now: datetime
) -> Applied:
    report = _report(session, params["report_id"])
    body = ReportUpdate.model_validate(params["body"])
    before = _linked_clip_ids(session, report.id)
    reports.update(session=session, report=report, body=body, actor=actor, now=now)
    linking.link_report(session=session, report=report, actor=actor, now=now)
    return Applied(sorted(set(before) | set(_linked_clip_ids(session, report.id))), report)


def link(*, ctx: ServerContext, session: Session, params: dict, actor: str, now: datetime) -> Applied:
    clip = _clip(session, params["clip_id"])
    report = _report(session, params["report_id"])
    created = linking.link_manual(
        session=session, clip=clip, report=report, reason=params["reason"], actor=actor, now=now
    )
    return Applied([clip.id], created)


def unlink(*, ctx: ServerContext, session: Session, params: dict, actor: str, now: datetime) -> Applied:
    report = _report(session, params["report_id"])
    ids = linking.unlink(
        session=session,
        clip_id=params["clip_id"],
        report=report,
        reason=params["reason"],
        actor=actor,
        now=now,
    )
    return Applied(ids, None)


def hold_place(*, ctx: ServerContext, session: Session, params: dict, actor: str, now: datetime) -> Applied:
    clip = _clip(session, params["clip_id"])
    hold = holds.place(
        session=session,
        clip_id=clip.id,
        matter=params["matter"],
        reason=params["reason"],
        actor=actor,
        now=now,
    )
    return Applied([clip.id], hold)


def hold_release(*, ctx: ServerContext, session: Session, params: dict, actor: str, now: datetime) -> Applied:
    hold = holds.release(
        session=session, hold_id=params["hold_id"], reason=params["reason"], actor=actor, now=now
    )
    return Applied([hold.clip_id], hold)


def category(*, ctx: ServerContext, session: Session, params: dict, actor: str, now: datetime) -> Applied:
    clip = _clip(session, params["clip_id"])
    name = params["category"]
    policy = policy_store.current(session=session)
    if name not in policy.categories:
        known = ", ".join(sorted(policy.categories))
        raise ChangeError(
            Why.INVALID, f"category {name!r} is not in policy {policy.version}; one of: {known}"
        )
    before, clip.category = clip.category, name
    audit.append(
        session=session,
        source=audit_source(),
        component="retention",
        event_type="clip.category_changed",
        actor=actor,
        outcome="success",
        object_type="clip",
        object_id=clip.id,
        detail={"from": before, "to": name, "reason": params.get("reason", "")},
    )
    session.flush()
    return Applied([clip.id], clip)


APPLIERS = {
    "report_create": report_create,
    "report_update": report_update,
    "link": link,
    "unlink": unlink,
    "hold_place": hold_place,
    "hold_release": hold_release,
    "category": category,
}

__all__ = ["APPLIERS", "Hold"]
