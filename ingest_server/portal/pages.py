"""Console pages: sign in and out, clip search, the clip page (player, facts,
times, SHA-256, reports, holds, audit trail), streaming and download of originals.

Thin: form or query in, service call, template out. Every request is audited by
the server's middleware under the signed-in user's name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Header, Query, Request
from fastapi.responses import RedirectResponse, Response

from ingest_server.audit import service as audit_service
from ingest_server.auth.permissions import Permission, may
from ingest_server.clips import service as clips
from ingest_server.clips.models import Clip
from ingest_server.deps import ContextDep, SessionDep, source_address
from ingest_server.derived import service as derived
from ingest_server.export import custody_pdf
from ingest_server.export.naming import readable_name
from ingest_server.portal import links, signin, streaming
from ingest_server.portal.deps import ConsoleUser, allow, check_csrf
from ingest_server.portal.related_pages import related_view
from ingest_server.portal.web import COOKIE, PAGE_HEADERS, PortalError, render
from ingest_server.ratelimit import service as ratelimit
from ingest_server.schemas_common import FIRST_YEAR, LAST_YEAR

router = APIRouter(prefix="/portal", include_in_schema=False)
Text = Annotated[str, Query(max_length=64)]
PAGE = 50


def _safe_next(path: str | None) -> str:
    return path if path and path.startswith("/portal/") and not path.startswith("//") else "/portal/clips"


@router.get("", name="portal.home")
@router.get("/", name="portal.home_slash")
def home():
    return RedirectResponse("/portal/clips", status_code=303)


@router.get("/sign-in", name="portal.sign_in_form")
def sign_in_form(
    request: Request,
    next: Annotated[str, Query(max_length=500)] = "",
    m: Annotated[str, Query(max_length=300)] = "",
):
    return render(request, "sign_in.html", next=_safe_next(next), message=m, principal=None)


@router.post("/sign-in", name="portal.sign_in")
def sign_in(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
):
    now, source = ctx.clock(), source_address(request)
    if not token.strip() and not (username.strip() and password):
        return render(
            request,
            "sign_in.html",
            400,
            next=_safe_next(next),
            principal=None,
            message="enter a username and password, or a token",
        )
    # password spraying across accounts: attempts per address, in the database so that every
    # server process shares them (each account also locks on its own, see signin.py)
    address = source or "unknown"
    wait = ratelimit.claim(session=session, rule=ratelimit.SIGN_IN, key=address, now=now)
    if wait is not None:
        request.scope["evidence.auth_note"] = "too many failed sign-ins from this address"
        return render(
            request,
            "sign_in.html",
            429,
            {"Retry-After": str(wait)},
            next=_safe_next(next),
            principal=None,
            message=f"Too many failed sign-ins from your address: wait {wait} seconds.",
        )
    if token.strip():
        result = signin.sign_in_token(session=session, token=token.strip(), now=now, source=source)
    else:
        result = signin.sign_in_password(
            session=session, username=username.strip(), password=password, now=now, source=source
        )
    if result.principal is None:
        return render(
            request,
            "sign_in.html",
            401,
            next=_safe_next(next),
            principal=None,
            message=result.message,
            username=username,
        )
    ratelimit.refund(session=session, rule=ratelimit.SIGN_IN, key=address)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        result.session_token,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out", name="portal.sign_out")
def sign_out(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    csrf: Annotated[str, Form(max_length=100)] = "",
):
    check_csrf(request, csrf)
    signin.sign_out(session=session, raw=request.cookies.get(COOKIE, ""), now=ctx.clock())
    response = RedirectResponse("/portal/sign-in?m=signed+out", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _day(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise PortalError(422, "Bad date", f"{field}: '{value[:40]}' is not a date (YYYY-MM-DD)") from exc
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise PortalError(422, "Bad date", f"{field}: the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return day


@router.get("/clips", name="portal.clips")
def search(
    request: Request,
    session: SessionDep,
    user: ConsoleUser,
    officer: Text = "",
    vehicle: Text = "",
    serial: Text = "",
    category: Text = "",
    sha256: Text = "",
    day_from: Text = "",
    day_to: Text = "",
    report: Text = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    allow(request, user, Permission.CLIPS_SEARCH)
    start, end = _day(day_from, "from"), _day(day_to, "to")
    linked = None
    if report.strip():  # the clips linked to a report, then the other filters (all in SQL)
        found, _ = links.linked_clips(
            session=session, report_id=links.report(session=session, report_id=report.strip()).id
        )
        linked = frozenset(c.id for c in found)
    where = clips.ClipFilter(
        officer_id=officer.strip() or None,
        vehicle_id=vehicle.strip() or None,
        camera_serial=serial.strip() or None,
        category=category.strip() or None,
        sha256=sha256.strip().lower() or None,
        recorded_from=start,
        recorded_to=end + timedelta(days=1) if end else None,
        clip_ids=linked,
    )
    rows, total = clips.search(
        session=session, principal=user, where=where, limit=PAGE, offset=(page - 1) * PAGE
    )
    query = {
        "officer": officer,
        "vehicle": vehicle,
        "serial": serial,
        "category": category,
        "sha256": sha256,
        "day_from": day_from,
        "day_to": day_to,
        "report": report,
    }
    return render(
        request,
        "clips.html",
        clips=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        query=query,
        can_share=may(user.role, Permission.SHARES_MANAGE),
    )


def _clip(request: Request, session, user, clip_id: str) -> Clip:
    clip = clips.get(session=session, clip_id=clip_id[:32])
    if clip is None:
        raise PortalError(404, "No such clip", f"There is no clip {clip_id[:32]}.")
    if not clips.visible_to(user, clip):
        request.scope["evidence.auth_note"] = "not the user's own clip"
        raise PortalError(403, "Not allowed", "This clip is not one of your clips.")
    return clip


@router.get("/clips/{clip_id}", name="portal.clip")
def clip_page(
    request: Request,
    session: SessionDep,
    user: ConsoleUser,
    clip_id: str,
    m: Annotated[str, Query(max_length=600)] = "",
):
    allow(request, user, Permission.CLIPS_READ)
    clip = _clip(request, session, user, clip_id)
    trail, total = ([], 0)
    if may(user.role, Permission.AUDIT_READ):
        trail, total = audit_service.search(session=session, object_id=clip.id, limit=500, offset=0)
    return render(
        request,
        "clip.html",
        clip=clip,
        trail=trail,
        trail_total=total,
        reports=links.reports_of(session=session, clip_id=clip.id),
        holds=links.holds_of(session=session, clip_id=clip.id),
        can_play=may(user.role, Permission.CLIPS_DOWNLOAD),
        can_share=may(user.role, Permission.SHARES_MANAGE),
        download_name=readable_name(clip),
        message=m,
        derived=derived.of_clip(session=session, clip_id=clip.id),
        redactions=derived.redactions_of(session=session, clip_id=clip.id),
        can_redact=may(user.role, Permission.REDACTION_MANAGE),
        **related_view(session=session, clip_id=clip.id),
    )


@router.get("/clips/{clip_id}/stream", name="portal.clip_stream")
def clip_stream(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    clip_id: str,
    range_header: Annotated[str | None, Header(alias="range", max_length=200)] = None,
):
    allow(request, user, Permission.CLIPS_DOWNLOAD)
    clip = _clip(request, session, user, clip_id)
    byte_range = streaming.requested_range(clip, range_header)
    return streaming.stream(ctx.storage, clip, byte_range)


@router.get("/clips/{clip_id}/custody.pdf", name="portal.clip_custody")
def clip_custody_pdf(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    clip_id: str,
    paper: Annotated[Literal["a4", "letter"], Query()] = "a4",
):
    """The clip's audit-trail PDF (chain of custody), as the court package carries it."""
    allow(request, user, Permission.AUDIT_READ)
    clip = _clip(request, session, user, clip_id)
    data, name = custody_pdf.clip_report(
        clip, session=session, generated_at=ctx.clock(), exporter=user.label, paper=paper
    )
    headers = {"Content-Disposition": f'attachment; filename="{name}"', **PAGE_HEADERS}
    return Response(data, media_type="application/pdf", headers=headers)


@router.get("/clips/{clip_id}/original", name="portal.clip_original")
def clip_original(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    clip_id: str,
    range_header: Annotated[str | None, Header(alias="range", max_length=200)] = None,
):
    allow(request, user, Permission.CLIPS_DOWNLOAD)
    clip = _clip(request, session, user, clip_id)
    byte_range = streaming.requested_range(clip, range_header)
    return streaming.stream(ctx.storage, clip, byte_range, download_name=readable_name(clip))
