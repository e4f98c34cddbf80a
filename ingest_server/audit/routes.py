"""Audit API: search the log and verify the chain. Reading it is itself audited
(by the middleware, like every request)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ingest_server.audit import service
from ingest_server.audit.schemas import AuditPage, AuditPublic, ChainReportOut
from ingest_server.audit.verify import verify_chain
from ingest_server.deps import AuditPrincipal, SessionDep
from ingest_server.errors import ErrorOut
from ingest_server.schemas_common import When, text

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
ERRORS = {code: {"model": ErrorOut} for code in (401, 403, 422)}
Filter = Annotated[text(200, 1) | None, Query()]


@router.get(
    "", name="audit.search", summary="Search audit events", response_model=AuditPage, responses=ERRORS
)
def search_audit(
    session: SessionDep,
    principal: AuditPrincipal,
    actor: Filter = None,
    event_type: Filter = None,
    object_id: Filter = None,
    since: Annotated[When | None, Query()] = None,
    until: Annotated[When | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
) -> AuditPage:
    rows, total = service.search(
        session=session,
        actor=actor,
        event_type=event_type,
        object_id=object_id,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return AuditPage(items=[AuditPublic.of(e) for e in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/verify",
    name="audit.verify",
    summary="Verify the audit hash chain",
    response_model=ChainReportOut,
    responses=ERRORS,
)
def verify(session: SessionDep, principal: AuditPrincipal) -> ChainReportOut:
    report = verify_chain(session=session)
    return ChainReportOut(
        ok=report.ok,
        checked=report.checked,
        broken_seq=report.broken_seq,
        reason=report.reason,
        message=report.describe(),
    )
