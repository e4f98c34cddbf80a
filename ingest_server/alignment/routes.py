"""Alignment API: run a report's alignment job, read its results, accept or reject one."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy.orm import Session

from ingest_server.alignment import service
from ingest_server.alignment.schemas import AlignmentList, AlignmentOut, Decision
from ingest_server.audit.source import audit_source_of
from ingest_server.clips.models import Clip
from ingest_server.deps import AlignmentDecider, ContextDep, Reader, SessionDep, Writer, source_address
from ingest_server.errors import HTTP_STATUS
from ingest_server.jobs import kinds
from ingest_server.jobs import service as jobs
from ingest_server.jobs.schemas import JobOut
from ingest_server.reports import service as reports
from ingest_server.retention_apply.http import ERRORS

router = APIRouter(prefix="/api/v1", tags=["alignment"])


def _report(session: Session, report_id: str):
    found = reports.get(session=session, report_id=report_id[:64])
    if found is None:
        raise HTTPException(404, f"no report {report_id[:64]}")
    return found


def public(session: Session, row) -> AlignmentOut:
    out = AlignmentOut.model_validate(row)
    a, b = session.get(Clip, row.clip_a_id), session.get(Clip, row.clip_b_id)
    if a is not None and b is not None:
        out.sentence = service.sentence_for(row, a, b)
    return out


@router.post(
    "/reports/{report_id}/alignments/run",
    name="alignment.run",
    summary="Align the report's clips in the background (one job per report at a time): the job",
    response_model=JobOut,
    responses=ERRORS,
)
def run(report_id: str, request: Request, ctx: ContextDep, session: SessionDep, who: Writer) -> JobOut:
    report = _report(session, report_id)
    job = jobs.request(
        session=session, kind=kinds.ALIGN_REPORT, subject=report.id, actor=who.label, now=ctx.clock()
    )
    session.commit()
    return JobOut.model_validate(job)


@router.get(
    "/reports/{report_id}/alignments",
    name="alignment.list",
    summary="Stored alignments between the report's linked clips, and its latest job",
    response_model=AlignmentList,
    responses=ERRORS,
)
def list_alignments(report_id: str, session: SessionDep, who: Reader) -> AlignmentList:
    report = _report(session, report_id)
    clips = service.linked_clips(session=session, report_id=report.id)
    rows = service.for_clips(session=session, clip_ids=[c.id for c in clips])
    latest = jobs.recent(session=session, limit=1, kind=kinds.ALIGN_REPORT, subject=report.id)
    return AlignmentList(
        alignments=[public(session, r) for r in rows],
        job=JobOut.model_validate(latest[0]) if latest else None,
    )


@router.post(
    "/alignments/{alignment_id}/decision",
    name="alignment.decide",
    summary="Accept or reject an alignment (custodian; only accepted ones move the timeline)",
    response_model=AlignmentOut,
    responses=ERRORS,
)
def decide(
    alignment_id: str,
    body: Decision,
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    who: AlignmentDecider,
) -> AlignmentOut:
    try:
        with audit_source_of(source_address(request)):
            row = service.decide(
                session=session,
                alignment_id=alignment_id,
                accept=body.accept,
                actor=who.label,
                reason=body.reason,
                now=ctx.clock(),
            )
    except service.AlignmentError as exc:
        raise HTTPException(HTTP_STATUS[exc.why], str(exc)) from exc
    session.commit()
    return public(session, row)
