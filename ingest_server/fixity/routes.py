"""Fixity API: run a check (all or a sample) and read the status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ingest_server.audit.source import audit_source_of
from ingest_server.deps import ContextDep, Reader, SessionDep, Writer, source_address
from ingest_server.fixity import service
from ingest_server.fixity.schemas import FixityRunOut, FixityStatusOut
from ingest_server.retention_apply.http import ERRORS

router = APIRouter(prefix="/api/v1/fixity", tags=["fixity"])


@router.post(
    "/check",
    name="fixity.check",
    summary="Re-read and re-hash stored originals and their related files",
    response_model=FixityRunOut,
    responses=ERRORS,
)
def check(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    who: Writer,
    sample: Annotated[float, Query(gt=0, le=1, description="fraction of clips to check")] = 1.0,
) -> FixityRunOut:
    with audit_source_of(source_address(request)):
        run = service.check(ctx=ctx, session=session, sample=sample, actor=who.label)
    return FixityRunOut(
        run_id=run.run_id,
        checked=run.checked,
        related_checked=run.related_checked,
        ok=run.ok,
        mismatches=run.mismatches,
    )


@router.get(
    "/status",
    name="fixity.status",
    summary="Last run and clips failing their latest check",
    response_model=FixityStatusOut,
    responses=ERRORS,
)
def status(session: SessionDep, who: Reader) -> FixityStatusOut:
    return FixityStatusOut.model_validate(service.status(session=session))
