"""Use-of-force report API: create, update, get, search, Inspector General
release, and the report's clips. Thin: HTTP in, guarded service call, HTTP out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request

from ingest_server.audit.source import audit_source_of
from ingest_server.deps import ContextDep, Reader, SessionDep, Writer, source_address
from ingest_server.linking.service import active_links
from ingest_server.reports import service
from ingest_server.reports.schemas import (
    LinkPublic,
    ReportCreate,
    ReportPage,
    ReportPublic,
    ReportUpdate,
    Status,
    link_public,
)
from ingest_server.retention_apply import guard, recompute
from ingest_server.retention_apply.http import ERRORS, PENDING_RESPONSE, respond, service_errors
from ingest_server.schemas_common import When, text

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
ReportId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


def _load(session, report_id: str):
    report = service.get(session=session, report_id=report_id)
    if report is None:
        raise HTTPException(404, f"no report {report_id}")
    return report


@router.post(
    "",
    name="reports.create",
    summary="Create a use-of-force report (links its clips)",
    status_code=201,
    response_model=ReportPublic,
    responses={**ERRORS, **PENDING_RESPONSE},
)
def create_report(body: ReportCreate, request: Request, ctx: ContextDep, session: SessionDep, who: Writer):
    with service_errors():
        outcome = guard.run(
            ctx=ctx,
            session=session,
            kind="report_create",
            params={"body": body.model_dump(mode="json")},
            description=f"create report {body.number}",
            requester_id=who.id,
            requester=who.label,
            source=source_address(request),
        )
    return respond(outcome, service.public, status=201)


@router.get("", name="reports.search", summary="Search reports", response_model=ReportPage, responses=ERRORS)
def search_reports(
    ctx: ContextDep,
    session: SessionDep,
    who: Reader,
    town: Annotated[text(100, 1) | None, Query()] = None,
    status: Status | None = None,
    officer_id: Annotated[text(64, 1) | None, Query()] = None,
    incident_from: When | None = None,
    incident_to: When | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ReportPage:
    rows, total = service.search(
        session=session,
        town=town,
        status=status.value if status else None,
        officer_id=officer_id,
        incident_from=incident_from,
        incident_to=incident_to,
        limit=limit,
        offset=offset,
    )
    return ReportPage(items=[service.public(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/{report_id}", name="reports.get", summary="One report", response_model=ReportPublic, responses=ERRORS
)
def get_report(report_id: ReportId, session: SessionDep, who: Reader) -> ReportPublic:
    return service.public(_load(session, report_id))


@router.patch(
    "/{report_id}",
    name="reports.update",
    summary="Change a report (closing it may need a second custodian)",
    response_model=ReportPublic,
    responses={**ERRORS, **PENDING_RESPONSE},
)
def update_report(
    report_id: ReportId,
    body: ReportUpdate,
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    who: Writer,
):
    report = _load(session, report_id)
    with service_errors():
        outcome = guard.run(
            ctx=ctx,
            session=session,
            kind="report_update",
            params={"report_id": report.id, "body": body.model_dump(mode="json", exclude_unset=True)},
            description=f"update report {report.number}: {', '.join(sorted(body.model_fields_set))}",
            requester_id=who.id,
            requester=who.label,
            source=source_address(request),
        )
    return respond(outcome, service.public)


@router.post(
    "/{report_id}/ig-release",
    name="reports.ig_release",
    summary="Release an Inspector General matter (two different custodians needed)",
    response_model=ReportPublic,
    responses=ERRORS,
)
def ig_release(
    report_id: ReportId, request: Request, ctx: ContextDep, session: SessionDep, who: Writer
) -> ReportPublic:
    report = _load(session, report_id)
    if who.role.value != "custodian":
        raise HTTPException(403, "forbidden: only a custodian may release an Inspector General matter")
    now = ctx.clock()
    with service_errors(), audit_source_of(source_address(request)):
        service.release_ig(session=session, report=report, custodian_id=who.id, actor=who.label, now=now)
        clip_ids = [
            link.clip_id
            for link, _ in active_links(session=session, report_id=report.id)
            if not link.unlinked_at
        ]
        recompute.apply(ctx=ctx, session=session, clip_ids=clip_ids, actor=who.label, now=now)
    return service.public(report)


@router.get(
    "/{report_id}/clips",
    name="reports.clips",
    summary="The report's clips, each with its reason",
    response_model=list[LinkPublic],
    responses=ERRORS,
)
def report_clips(
    report_id: ReportId, session: SessionDep, who: Reader, include_unlinked: bool = False
) -> list[LinkPublic]:
    report = _load(session, report_id)
    rows = active_links(session=session, report_id=report.id)
    return [link_public(link, r) for link, r in rows if include_unlinked or link.unlinked_at is None]
