"""Report rows: create, update, read, search. Keyword-only functions taking the
session; they flush but never commit (the retention guard decides whether a change
takes effect now or waits for a second custodian, see `retention_apply.guard`).
Every change is audited with what changed.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.audit.source import audit_source
from ingest_server.refusals import Refused, Why
from ingest_server.reports.models import CLOSED, OFFICER, VEHICLE, Report, ReportMember
from ingest_server.reports.schemas import ReportCreate, ReportPublic, ReportUpdate, SubjectEntry

_JSON_FIELDS = {
    "officers": "officers_json",
    "vehicles": "vehicles_json",
    "force_types": "force_types_json",
    "subjects": "subjects_json",
}


class ReportError(Refused):
    pass


def _dump(field: str, value) -> str:
    if field == "subjects":
        return json.dumps([SubjectEntry.model_validate(s).model_dump(mode="json") for s in value])
    return json.dumps(sorted(dict.fromkeys(str(v) for v in value)))


def officers(report: Report) -> list[str]:
    return json.loads(report.officers_json)


def vehicles(report: Report) -> list[str]:
    return json.loads(report.vehicles_json)


def ig_released_by(report: Report) -> list[str]:
    return json.loads(report.ig_released_by_json)


def public(report: Report) -> ReportPublic:
    return ReportPublic(
        id=report.id,
        number=report.number,
        incident_start=report.incident_start,
        incident_end=report.incident_end,
        town=report.town,
        location=report.location,
        description=report.description,
        status=report.status,
        closed_at=report.closed_at,
        officers=officers(report),
        vehicles=vehicles(report),
        force_types=json.loads(report.force_types_json),
        subjects=json.loads(report.subjects_json),
        inspector_general=report.inspector_general,
        ig_released_by=ig_released_by(report),
        revision=report.revision,
        created_by=report.created_by,
        created_at=report.created_at,
        updated_at=report.updated_at,
    )


def _set_members(session: Session, report: Report) -> None:
    session.execute(delete(ReportMember).where(ReportMember.report_id == report.id))
    for kind, values in ((OFFICER, officers(report)), (VEHICLE, vehicles(report))):
        session.add_all(ReportMember(report_id=report.id, kind=kind, value=v) for v in values)


def get(*, session: Session, report_id: str) -> Report | None:
    report = session.get(Report, report_id)
    if report is None:
        report = session.execute(select(Report).where(Report.number == report_id)).scalar_one_or_none()
    return report


def create(*, session: Session, body: ReportCreate, actor: str, now: datetime) -> Report:
    if session.execute(select(Report.id).where(Report.number == body.number)).first():
        raise ReportError(Why.CONFLICT, f"report {body.number} already exists")
    closed_at = body.closed_at or (now if body.status == CLOSED else None)
    report = Report(
        number=body.number,
        incident_start=body.incident_start,
        incident_end=body.incident_end,
        town=body.town,
        location=body.location,
        description=body.description,
        status=body.status.value,
        closed_at=closed_at,
        inspector_general=body.inspector_general,
        created_by=actor,
        created_at=now,
        updated_at=now,
        **{column: _dump(field, getattr(body, field)) for field, column in _JSON_FIELDS.items()},
    )
    session.add(report)
    session.flush()
    _set_members(session, report)
    audit.append(
        session=session,
        source=audit_source(),
        component="reports",
        event_type="report.created",
        actor=actor,
        outcome="success",
        object_type="report",
        object_id=report.id,
        detail={"number": report.number, "status": report.status, "town": report.town},
    )
    session.flush()
    return report


def update(*, session: Session, report: Report, body: ReportUpdate, actor: str, now: datetime) -> Report:
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    start = changes.get("incident_start", report.incident_start)
    end = changes.get("incident_end", report.incident_end)
    if end < start:
        raise ReportError(Why.INVALID, "incident_end would be before incident_start")
    if changes.get("closed_at") is not None and changes.get("status", report.status) != CLOSED:
        raise ReportError(Why.INVALID, "closed_at is only for a closed report: send status 'closed' with it")
    if not body.reason.strip():  # a report is evidence of its own: each change says why
        raise ReportError(Why.INVALID, "give a reason for the change (it is kept in the audit log)")
    changed = []
    for field, value in changes.items():
        if field in _JSON_FIELDS:
            column = _JSON_FIELDS[field]
            new = _dump(field, getattr(body, field))
            if new != getattr(report, column):
                setattr(report, column, new)
                changed.append(field)
        elif field == "status":
            if value != report.status:
                report.status = value
                changed.append(field)
        elif value != getattr(report, field):
            setattr(report, field, value)
            changed.append(field)
    if report.status == CLOSED and report.closed_at is None:
        report.closed_at, changed = now, [*changed, "closed_at"]
    if report.status != CLOSED and report.closed_at is not None:
        report.closed_at, changed = None, [*changed, "closed_at"]
    if not changed:
        return report
    report.revision += 1
    report.updated_at = now
    if {"officers", "vehicles"} & set(changed):
        _set_members(session, report)
    audit.append(
        session=session,
        source=audit_source(),
        component="reports",
        event_type="report.updated",
        actor=actor,
        outcome="success",
        object_type="report",
        object_id=report.id,
        detail={"number": report.number, "changed": sorted(set(changed)), "reason": body.reason},
    )
    session.flush()
    return report


def release_ig(*, session: Session, report: Report, custodian_id: str, actor: str, now: datetime) -> Report:
    if not report.inspector_general:
        raise ReportError(Why.CONFLICT, f"report {report.number} is not an Inspector General matter")
    released = ig_released_by(report)
    if custodian_id in released:
        raise ReportError(
            Why.CONFLICT, f"you already released report {report.number}; a different custodian must"
        )
    report.ig_released_by_json = json.dumps(sorted([*released, custodian_id]))
    report.updated_at = now
    audit.append(
        session=session,
        source=audit_source(),
        component="reports",
        event_type="report.ig_released",
        actor=actor,
        outcome="success",
        object_type="report",
        object_id=report.id,
        detail={"number": report.number, "released_by": sorted([*released, custodian_id])},
    )
    session.flush()
    return report


def search(
    *,
    session: Session,
    town: str | None = None,
    status: str | None = None,
    officer_id: str | None = None,
    incident_from: datetime | None = None,
    incident_to: datetime | None = None,
    limit: int,
    offset: int,
) -> tuple[list[Report], int]:
    query = select(Report)
    if town:
        query = query.where(Report.town == town)
    if status:
        query = query.where(Report.status == status)
    if officer_id:
        members = select(ReportMember.report_id).where(
            ReportMember.kind == OFFICER, ReportMember.value == officer_id
        )
        query = query.where(Report.id.in_(members))
    if incident_from:
        query = query.where(Report.incident_start >= incident_from)
    if incident_to:
        query = query.where(Report.incident_start < incident_to)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(Report.incident_start.desc(), Report.id).limit(limit).offset(offset)
    )
    return list(rows.scalars()), total
