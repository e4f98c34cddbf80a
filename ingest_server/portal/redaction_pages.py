"""Console pages for redaction and public release: start a redaction of a clip, review its tracks
(thumbnails, spans, accept/reject), add boxes (followed through the clip by a job, or held over
frames) and audio masks, render, preview the draft in the player, approve; a second custodian
approves the release; public records requests by time left, their release packages.

Thin: form in, `derived/service.py` or `derived/records.py` call, redirect or template out. Starting
a redaction, adding a followed box and asking for the render request its job (`evidence-server
worker` runs it); the page shows the job's frames done and time left while it runs. Who may:
`redaction.manage` and `release.approve` in the one authorization table.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse

from ingest_server.auth.permissions import Permission, may
from ingest_server.clips.ranges import RangeNotSatisfiable, parse_range, read_object, unsatisfiable_headers
from ingest_server.deps import ContextDep, SessionDep, source_address
from ingest_server.derived import jobs, records, service
from ingest_server.derived.models import DELETED, RENDERING, REQUEST_RELEASED, SCANNING
from ingest_server.errors import HTTP_STATUS
from ingest_server.portal.deps import ConsoleUser, allow, check_csrf
from ingest_server.portal.web import PortalError, render

router = APIRouter(prefix="/portal", include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]


def _refused(session, exc: service.DerivedError) -> PortalError:
    session.rollback()
    return PortalError(HTTP_STATUS[exc.why], "Not done", str(exc))


def _to(path: str, message: str = "") -> RedirectResponse:
    return RedirectResponse(path + (f"?m={quote(message)}" if message else ""), status_code=303)


# ---- redactions -----------------------------------------------------------------------------------


@router.post("/clips/{clip_id}/redactions", name="portal.redaction_start")
def start(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    clip_id: str,
    csrf: Csrf = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
):
    allow(request, user, Permission.REDACTION_MANAGE)
    check_csrf(request, csrf)
    try:
        row = service.start(
            ctx=ctx,
            session=session,
            clip_id=clip_id[:32],
            requester=user,
            reason=reason,
            source=source_address(request),
        )
    except service.DerivedError as exc:
        raise _refused(session, exc) from exc
    return _to(f"/portal/redactions/{row.id}")


@router.get("/redactions/{redaction_id}", name="portal.redaction")
def redaction_page(request: Request, session: SessionDep, user: ConsoleUser, redaction_id: str, m: str = ""):
    allow(request, user, Permission.REDACTION_MANAGE)
    try:
        row = service.get_redaction(session=session, redaction_id=redaction_id[:32])
    except service.DerivedError as exc:
        raise _refused(session, exc) from exc
    facts = json.loads(row.scan_json) if row.scan_json else None
    fps = facts["fps"] if facts and facts["fps"] else None
    rejected = set(json.loads(row.rejected_json))

    def shown(t: dict) -> dict:
        span = (t["first_frame"] / fps, (t["last_frame"] + 1) / fps) if fps else None
        return {**t, "rejected": t["id"] in rejected, "span": span}

    tracks = [shown(t) for t in service.tracks_of(row)]
    derived = service.get_derived(session=session, derived_id=row.derived_id) if row.derived_id else None
    following = bool(service.following(row))
    step = {SCANNING: jobs.SCAN, RENDERING: jobs.RENDER}.get(row.state, jobs.FOLLOW if following else None)
    job = jobs.latest(session=session, redaction_id=row.id, step=step) if step else None
    return render(
        request,
        "redaction.html",
        200,
        {"Refresh": "1"} if row.state in (SCANNING, RENDERING) or following else None,
        row=row,
        facts=facts,
        tracks=tracks,
        manual=[shown(b) for b in json.loads(row.manual_json)],
        following=following,
        audio=json.loads(row.audio_json),
        derived=derived,
        job=job,
        message=m[:300],
    )


def _decision(request, ctx, session, user, csrf, call, redaction_id, **kwargs):
    allow(request, user, Permission.REDACTION_MANAGE)
    check_csrf(request, csrf)
    try:
        call(
            ctx=ctx,
            session=session,
            redaction_id=redaction_id[:32],
            user=user,
            source=source_address(request),
            **kwargs,
        )
    except service.DerivedError as exc:
        raise _refused(session, exc) from exc
    except ValueError as exc:
        session.rollback()
        raise PortalError(422, "Not done", str(exc)) from exc


@router.post("/redactions/{redaction_id}/tracks/{track_id}", name="portal.redaction_track")
def track(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    redaction_id: str,
    track_id: str,
    csrf: Csrf = "",
    decision: Annotated[str, Form(max_length=10)] = "",
):
    if decision not in ("accept", "reject"):
        raise PortalError(422, "Choose", "Accept or reject the track.")
    _decision(
        request,
        ctx,
        session,
        user,
        csrf,
        service.decide_track,
        redaction_id,
        track_id=track_id[:32],
        accept=decision == "accept",
    )
    return _to(f"/portal/redactions/{redaction_id[:32]}", f"track {track_id[:32]} {decision}ed")


@router.post("/redactions/{redaction_id}/boxes", name="portal.redaction_box")
def box(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    redaction_id: str,
    csrf: Csrf = "",
    how: Annotated[str, Form(max_length=10)] = "follow",
    frame: Annotated[int, Form(ge=0, le=10_000_000)] = 0,
    first: Annotated[int, Form(ge=0, le=10_000_000)] = 0,
    last: Annotated[int, Form(ge=0, le=10_000_000)] = 0,
    x1: Annotated[float, Form(ge=0, le=100_000)] = 0,
    y1: Annotated[float, Form(ge=0, le=100_000)] = 0,
    x2: Annotated[float, Form(ge=0, le=100_000)] = 0,
    y2: Annotated[float, Form(ge=0, le=100_000)] = 0,
):
    """A box drawn on `frame` and followed through the clip (the default), or held over first..last."""
    if how not in ("follow", "hold"):
        raise PortalError(422, "Choose", "Follow the box through the clip, or hold it over frames.")
    follow = how == "follow"
    _decision(
        request,
        ctx,
        session,
        user,
        csrf,
        service.add_box,
        redaction_id,
        first=frame if follow else first,
        last=frame if follow else last,
        box=(x1, y1, x2, y2),
        follow=follow,
    )
    message = "box added: following it through the clip" if follow else "box added"
    return _to(f"/portal/redactions/{redaction_id[:32]}", message)


@router.post("/redactions/{redaction_id}/audio", name="portal.redaction_audio")
def audio(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    redaction_id: str,
    csrf: Csrf = "",
    start_s: Annotated[float, Form(ge=0, le=1_000_000)] = 0,
    end_s: Annotated[float, Form(ge=0, le=1_000_000)] = 0,
):
    _decision(
        request, ctx, session, user, csrf, service.add_audio_range, redaction_id, start_s=start_s, end_s=end_s
    )
    return _to(f"/portal/redactions/{redaction_id[:32]}", "audio range masked")


@router.post("/redactions/{redaction_id}/style", name="portal.redaction_style")
def style(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    redaction_id: str,
    csrf: Csrf = "",
    style: Annotated[str, Form(max_length=16)] = "",
):
    _decision(request, ctx, session, user, csrf, service.set_style, redaction_id, style=style)
    return _to(f"/portal/redactions/{redaction_id[:32]}", f"style {style}")


@router.post("/redactions/{redaction_id}/render", name="portal.redaction_render")
def render_draft(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    redaction_id: str,
    csrf: Csrf = "",
):
    _decision(request, ctx, session, user, csrf, service.request_render, redaction_id)
    return _to(f"/portal/redactions/{redaction_id[:32]}")


# ---- derived copies --------------------------------------------------------------------------------


@router.get("/derived/{derived_id}/stream", name="portal.derived_stream")
def derived_stream(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    derived_id: str,
    range_header: Annotated[str | None, Header(alias="range", max_length=200)] = None,
):
    """The derived copy in the player (Range, from the store), for review before any release."""
    allow(request, user, Permission.REDACTION_MANAGE)
    try:
        row = service.get_derived(session=session, derived_id=derived_id[:32])
    except service.DerivedError as exc:
        raise _refused(session, exc) from exc
    if row.state == DELETED:
        raise PortalError(410, "Deleted", f"This derived copy was deleted: {row.delete_reason}")
    try:
        byte_range = parse_range(range_header, row.size)
    except RangeNotSatisfiable as exc:
        raise PortalError(416, "Bad range", str(exc), unsatisfiable_headers(row.size)) from exc
    chunks, status, headers = read_object(
        ctx.storage,
        key=row.object_key,
        version_id=row.version_id,
        size=row.size,
        sha256=row.sha256,
        byte_range=byte_range,
    )
    return StreamingResponse(chunks, status_code=status, media_type="video/mp4", headers=headers)


def _derived_action(request, session, call, derived_id, **kwargs):
    try:
        return call(session=session, derived_id=derived_id[:32], source=source_address(request), **kwargs)
    except service.DerivedError as exc:
        raise _refused(session, exc) from exc


@router.post("/derived/{derived_id}/approve", name="portal.derived_approve")
def approve(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    derived_id: str,
    csrf: Csrf = "",
    note: Annotated[str, Form(max_length=1000)] = "",
):
    allow(request, user, Permission.REDACTION_MANAGE)
    check_csrf(request, csrf)
    row = _derived_action(request, session, service.approve, derived_id, ctx=ctx, user=user, note=note)
    return _to(
        f"/portal/redactions/{row.redaction_id}", "approved: a second custodian now approves the release"
    )


@router.post("/derived/{derived_id}/release", name="portal.derived_release")
def release(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    derived_id: str,
    csrf: Csrf = "",
    note: Annotated[str, Form(max_length=1000)] = "",
):
    allow(request, user, Permission.RELEASE_APPROVE)
    check_csrf(request, csrf)
    signed = _derived_action(
        request, session, service.approve_release, derived_id, ctx=ctx, user=user, note=note
    )
    return _to("/portal/releases", f"released: signed copy {signed.id}")


@router.post("/derived/{derived_id}/delete", name="portal.derived_delete")
def delete(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    derived_id: str,
    csrf: Csrf = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
):
    allow(request, user, Permission.REDACTION_MANAGE)
    check_csrf(request, csrf)
    row = _derived_action(request, session, service.delete, derived_id, ctx=ctx, user=user, reason=reason)
    return _to(f"/portal/clips/{row.parent_clip_id}", f"derived copy {row.id} deleted")


@router.get("/releases", name="portal.releases")
def releases(request: Request, session: SessionDep, user: ConsoleUser, m: str = ""):
    allow(request, user, Permission.REDACTION_MANAGE)
    return render(
        request,
        "releases.html",
        waiting=service.waiting_release(session=session),
        message=m[:300],
        can_release=may(user.role, Permission.RELEASE_APPROVE),
    )


# ---- public records requests -----------------------------------------------------------------------


def _left(seconds: float) -> str:
    sign = "overdue by " if seconds < 0 else ""
    s = int(abs(seconds))
    return f"{sign}{s // 3600} h {s // 60 % 60:02d} min"


@router.get("/records-requests", name="portal.records_requests")
def requests_page(request: Request, ctx: ContextDep, session: SessionDep, user: ConsoleUser, m: str = ""):
    allow(request, user, Permission.REDACTION_MANAGE)
    now = ctx.clock()
    open_rows = [
        (r, _left(left), left < 0) for r, left in records.open_by_time_left(session=session, now=now)
    ]
    done = [r for r in records.all_requests(session=session) if r.state != "open"]
    return render(
        request,
        "records_requests.html",
        open_rows=open_rows,
        done=done,
        message=m[:300],
        due_hours=ctx.settings.records_request_due_hours,
        now=now,
    )


def _time(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise PortalError(
            422, "Bad time", f"{field}: '{value[:40]}' is not a date and time (YYYY-MM-DDTHH:MM)"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.post("/records-requests", name="portal.records_request_create")
def create_request(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    csrf: Csrf = "",
    requester: Annotated[str, Form(max_length=300)] = "",
    received_at: Annotated[str, Form(max_length=40)] = "",
    clip_ids: Annotated[str, Form(max_length=5000)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
):
    allow(request, user, Permission.REDACTION_MANAGE)
    check_csrf(request, csrf)
    received = _time(received_at, "received") if received_at.strip() else ctx.clock()
    try:
        row = records.create(
            ctx=ctx,
            session=session,
            requester=requester,
            received_at=received,
            clip_ids=clip_ids.replace(",", " ").split(),
            description=description,
            user=user,
            source=source_address(request),
        )
    except service.DerivedError as exc:
        raise _refused(session, exc) from exc
    return _to(f"/portal/records-requests/{row.id}", "request recorded")


@router.get("/records-requests/{request_id}", name="portal.records_request")
def request_page(
    request: Request, ctx: ContextDep, session: SessionDep, user: ConsoleUser, request_id: str, m: str = ""
):
    allow(request, user, Permission.REDACTION_MANAGE)
    try:
        row = records.get(session=session, request_id=request_id[:32])
    except service.DerivedError as exc:
        raise _refused(session, exc) from exc
    ready = records.readiness(session=session, request_id=row.id)
    return render(
        request,
        "records_request.html",
        row=row,
        ready=ready,
        message=m[:300],
        left=_left((row.due_at - ctx.clock()).total_seconds()),
        all_ready=all(copy is not None for _, copy in ready),
    )


@router.post("/records-requests/{request_id}/delay", name="portal.records_request_delay")
def delay(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    request_id: str,
    csrf: Csrf = "",
    due_at: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
):
    allow(request, user, Permission.REDACTION_MANAGE)
    check_csrf(request, csrf)
    try:
        records.delay(
            ctx=ctx,
            session=session,
            request_id=request_id[:32],
            due=_time(due_at, "due"),
            reason=reason,
            user=user,
            source=source_address(request),
        )
    except service.DerivedError as exc:
        raise _refused(session, exc) from exc
    return _to(f"/portal/records-requests/{request_id[:32]}", "due time moved")


@router.post("/records-requests/{request_id}/release", name="portal.records_request_release")
def release_request(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    request_id: str,
    csrf: Csrf = "",
):
    allow(request, user, Permission.RELEASE_APPROVE)
    check_csrf(request, csrf)
    try:
        records.release(
            ctx=ctx, session=session, request_id=request_id[:32], user=user, source=source_address(request)
        )
    except service.DerivedError as exc:
        raise _refused(session, exc) from exc
    return _to(f"/portal/records-requests/{request_id[:32]}", "released: the package is ready")


@router.get("/records-requests/{request_id}/package.zip", name="portal.records_request_package")
def package(request: Request, session: SessionDep, user: ConsoleUser, request_id: str):
    allow(request, user, Permission.REDACTION_MANAGE)
    try:
        row = records.get(session=session, request_id=request_id[:32])
    except service.DerivedError as exc:
        raise _refused(session, exc) from exc
    if row.state != REQUEST_RELEASED or not row.package_path:
        raise PortalError(409, "Not released", "This request has no release package yet.")
    return FileResponse(
        row.package_path,
        media_type="application/zip",
        filename=f"release-{row.id}.zip",
        headers={"X-Content-SHA256": row.package_sha256 or "", "Cache-Control": "no-store"},
    )
