"""Sweeper API: the dry run (what a sweep would delete now), a sweep, and the
deletion certificates."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request

from ingest_server.audit.source import audit_source_of
from ingest_server.deps import ContextDep, Reader, SessionDep, Writer, source_address
from ingest_server.retention_apply.http import ERRORS
from ingest_server.schemas_common import CLIP_ID_PATTERN
from ingest_server.sweeper import service
from ingest_server.sweeper.models import DeletionCertificate
from ingest_server.sweeper.schemas import CertificateOut, SweepOut

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])


def _out(result: service.SweepResult) -> SweepOut:
    return SweepOut(
        dry_run=result.dry_run,
        planned=[i.clip_id for i in result.planned],
        deleted=result.deleted,
        lines=result.lines(),
    )


@router.get(
    "/sweep",
    name="retention.sweep_plan",
    summary="Dry run: what a sweep would delete now",
    response_model=SweepOut,
    responses=ERRORS,
)
def sweep_plan(ctx: ContextDep, who: Reader) -> SweepOut:
    return _out(service.sweep(ctx=ctx, dry_run=True, actor=who.label))


@router.post(
    "/sweep",
    name="retention.sweep",
    summary="Delete every expired, unheld original (certificates)",
    response_model=SweepOut,
    responses={**ERRORS, 409: {"description": "another sweeper is running"}},
)
def sweep(request: Request, ctx: ContextDep, who: Writer) -> SweepOut:
    with audit_source_of(source_address(request)):
        result = service.sweep(ctx=ctx, dry_run=False, actor=who.label)
    if result.busy:
        raise HTTPException(409, result.busy)
    return _out(result)


@router.get(
    "/certificates/{clip_id}",
    name="retention.certificate",
    summary="A deleted clip's certificate",
    response_model=CertificateOut,
    responses=ERRORS,
)
def certificate(
    clip_id: Annotated[str, Path(pattern=CLIP_ID_PATTERN)], session: SessionDep, who: Reader
) -> CertificateOut:
    from sqlalchemy import select

    row = session.execute(
        select(DeletionCertificate).where(DeletionCertificate.clip_id == clip_id)
    ).scalar_one_or_none()
    if row is None:
        raise HTTPException(404, f"no deletion certificate for clip {clip_id}")
    return CertificateOut(
        id=row.id,
        clip_id=row.clip_id,
        sha256=row.sha256,
        size=row.size,
        certificate_key=row.certificate_key,
        deleted_at=row.deleted_at,
        body=json.loads(row.body_json),
    )
