"""Console pages for use-of-force reports: a list, and the report page (its clips
on one timeline, side by side, each link with its reason, link and unlink with a
reason, place and release holds, share the report, export its package).

Changes go through the retention guard of the reports package: one that would
shorten a clip's retention waits for a second custodian, and the page says so.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from ingest_server.auth.permissions import Permission, may
from ingest_server.context import ServerContext
from ingest_server.deps import ContextDep, SessionDep, source_address
from ingest_server.holds import service as holds
from ingest_server.portal import links
from ingest_server.portal.alignment_pages import report_view
from ingest_server.portal.deps import ConsoleUser, allow, check_csrf
from ingest_server.portal.share_pages import package_response
from ingest_server.portal.web import render
from ingest_server.reports import service as reports

router = APIRouter(prefix="/portal", include_in_schema=False)
Reason = Annotated[str, Form(max_length=1000)]
Csrf = Annotated[str, Form(max_length=100)]


@router.get("/reports", name="portal.reports")
def report_list(
    request: Request,
    session: SessionDep,
    user: ConsoleUser,
    officer: Annotated[str, Query(max_length=64)] = "",
):
    allow(request, user, Permission.RECORDS_READ, "read reports")
    rows, total = reports.search(session=session, officer_id=officer.strip() or None, limit=100, offset=0)
    people = {r.id: ", ".join(reports.officers(r) + reports.vehicles(r)) for r in rows}
    return render(request, "reports.html", reports=rows, total=total, officer=officer, people=people)


@router.get("/reports/{report_id}", name="portal.report")
def report_page(
    request: Request,
    session: SessionDep,
    user: ConsoleUser,
    report_id: str,
    m: Annotated[str, Query(max_length=600)] = "",
):
    allow(request, user, Permission.RECORDS_READ, "read reports")
    found = links.report(session=session, report_id=report_id)
    clips, history = links.linked_clips(session=session, report_id=found.id)
    held = holds.for_clips(session=session, clip_ids=[c.id for c in clips])
    return render(
        request,
        "report.html",
        report=found,
        clips=clips,
        history=history,
        holds=held,
        officers=reports.officers(found),
        vehicles=reports.vehicles(found),
        message=m,
        can_change=may(user.role, Permission.RECORDS_CHANGE),
        can_decide=may(user.role, Permission.ALIGNMENT_DECIDE),
        stream_base="/portal/clips",
        **report_view(session=session, clips=clips, report_id=found.id),
    )


def _back(report_id: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"/portal/reports/{quote(report_id)}?m={quote(message)}", status_code=303)


@router.post("/reports/{report_id}/link", name="portal.report_link")
def report_link(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    report_id: str,
    csrf: Csrf = "",
    clip_id: Annotated[str, Form(max_length=64)] = "",
    reason: Reason = "",
):
    return _link(request, ctx, session, user, report_id, csrf, clip_id, reason, unlink=False)


@router.post("/reports/{report_id}/unlink", name="portal.report_unlink")
def report_unlink(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    report_id: str,
    csrf: Csrf = "",
    clip_id: Annotated[str, Form(max_length=64)] = "",
    reason: Reason = "",
):
    return _link(request, ctx, session, user, report_id, csrf, clip_id, reason, unlink=True)


def _link(request, ctx: ServerContext, session, user, report_id, csrf, clip_id, reason, *, unlink: bool):
    allow(request, user, Permission.RECORDS_CHANGE, "change reports")
    check_csrf(request, csrf)
    found = links.report(session=session, report_id=report_id)
    message = links.link_clip(
        ctx=ctx,
        session=session,
        unlink=unlink,
        clip_id=clip_id.strip(),
        report=found,
        reason=links.reason_given(reason, "unlink this clip" if unlink else "link this clip"),
        principal=user,
        source=source_address(request),
    )
    return _back(found.id, message)


@router.post("/reports/{report_id}/holds", name="portal.hold_place")
def hold_place(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    report_id: str,
    csrf: Csrf = "",
    clip_id: Annotated[str, Form(max_length=64)] = "",
    matter: Annotated[str, Form(max_length=200)] = "",
    reason: Reason = "",
):
    allow(request, user, Permission.RECORDS_CHANGE, "change reports")
    check_csrf(request, csrf)
    found = links.report(session=session, report_id=report_id)
    message = links.place_hold(
        ctx=ctx,
        session=session,
        clip_id=clip_id.strip(),
        matter=matter.strip() or found.number,
        reason=links.reason_given(reason, "place this hold"),
        principal=user,
        source=source_address(request),
    )
    return _back(found.id, message)


@router.post("/reports/{report_id}/holds/{hold_id}/release", name="portal.hold_release")
def hold_release(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    report_id: str,
    hold_id: str,
    csrf: Csrf = "",
    reason: Reason = "",
):
    allow(request, user, Permission.RECORDS_CHANGE, "change reports")
    check_csrf(request, csrf)
    found = links.report(session=session, report_id=report_id)
    message = links.release_hold(
        ctx=ctx,
        session=session,
        hold_id=hold_id,
        reason=links.reason_given(reason, "release this hold"),
        principal=user,
        source=source_address(request),
    )
    return _back(found.id, message)


@router.get("/reports/{report_id}/package.zip", name="portal.report_package")
def report_package(request: Request, ctx: ContextDep, session: SessionDep, user: ConsoleUser, report_id: str):
    allow(request, user, Permission.RECORDS_CHANGE, "change reports")
    found = links.report(session=session, report_id=report_id)
    clips, _ = links.linked_clips(session=session, report_id=found.id)
    return package_response(
        session, ctx, clips=clips, exporter=user.label, source=source_address(request), report_id=found.number
    )
