"""Console actions on a report's audio alignments: run the alignment job, and a
custodian's accept or reject with a reason. The report page shows the results,
the job's progress and the timeline they move (report_pages.py)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from ingest_server.alignment import service as alignment
from ingest_server.alignment import timeline
from ingest_server.alignment.models import AlignmentState
from ingest_server.audit.source import audit_source_of
from ingest_server.auth.permissions import Permission
from ingest_server.clips.models import Clip
from ingest_server.deps import ContextDep, SessionDep, source_address
from ingest_server.errors import HTTP_STATUS
from ingest_server.jobs import kinds
from ingest_server.jobs import service as jobs
from ingest_server.portal import links
from ingest_server.portal.deps import ConsoleUser, allow, check_csrf
from ingest_server.portal.web import PortalError

router = APIRouter(prefix="/portal", include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]


def _back(report_id: str, message: str) -> RedirectResponse:
    return RedirectResponse(
        f"/portal/reports/{quote(report_id)}?m={quote(message)}#alignment", status_code=303
    )


def timeline_view(*, session: Session, clips: list[Clip], rows=None) -> dict:
    """Where `_timeline.html` puts each clip: accepted alignments between these clips, else corrected time."""
    rows = alignment.for_clips(session=session, clip_ids=[c.id for c in clips]) if rows is None else rows
    starts = {
        c.id: (c.corrected_start or c.camera_start).timestamp()
        for c in clips
        if c.corrected_start or c.camera_start
    }
    return {
        "placements": timeline.place(starts, alignment.accepted_edges(rows)),
        "clip_names": {c.id: alignment.label(c) for c in clips},
    }


def report_view(*, session: Session, clips: list[Clip], report_id: str) -> dict:
    """What the report page shows about alignment: rows with sentences, placements, the latest job."""
    rows = alignment.for_clips(session=session, clip_ids=[c.id for c in clips])
    by_id = {c.id: c for c in clips}
    latest = jobs.recent(session=session, limit=1, kind=kinds.ALIGN_REPORT, subject=report_id)
    return {
        "alignments": [
            (row, alignment.sentence_for(row, by_id[row.clip_a_id], by_id[row.clip_b_id])) for row in rows
        ],
        "align_job": latest[0] if latest else None,
        **timeline_view(session=session, clips=clips, rows=rows),
    }


@router.post("/reports/{report_id}/align", name="portal.report_align")
def report_align(
    request: Request, ctx: ContextDep, session: SessionDep, user: ConsoleUser, report_id: str, csrf: Csrf = ""
):
    allow(request, user, Permission.RECORDS_CHANGE, "align a report's clips")
    check_csrf(request, csrf)
    found = links.report(session=session, report_id=report_id)
    job = jobs.request(
        session=session, kind=kinds.ALIGN_REPORT, subject=found.id, actor=user.label, now=ctx.clock()
    )
    session.commit()
    return _back(found.id, f"Alignment job {job.id[:12]} is {job.state}.")


@router.post("/alignments/{alignment_id}/decision", name="portal.alignment_decide")
def alignment_decide(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    alignment_id: str,
    csrf: Csrf = "",
    decision: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
    report_id: Annotated[str, Form(max_length=64)] = "",
):
    allow(request, user, Permission.ALIGNMENT_DECIDE, "accept or reject an alignment")
    check_csrf(request, csrf)
    if decision not in (AlignmentState.ACCEPTED, AlignmentState.REJECTED):
        raise PortalError(400, "Not decided", "Choose accept or reject.")
    try:
        with audit_source_of(source_address(request)):
            row = alignment.decide(
                session=session,
                alignment_id=alignment_id,
                accept=decision == AlignmentState.ACCEPTED,
                actor=user.label,
                reason=links.reason_given(reason, "decide on this alignment"),
                now=ctx.clock(),
            )
    except alignment.AlignmentError as exc:
        raise PortalError(HTTP_STATUS[exc.why], "Not done", str(exc)) from exc
    session.commit()
    return _back(report_id or row.report_id or "", f"Alignment {row.id[:12]} {row.state}.")
