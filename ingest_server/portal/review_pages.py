"""The prosecutor's review pages behind `/review/<token>`: the case summary and
its clips on one timeline, players that stream through the server with HTTP
Range, downloads of originals (when the share allows) and the court package.

The server decides everything at each request: unknown token (404, and counted
toward the guessing limit, kept in the database for every server process: 429
after too many), revoked or expired (410, with a
page that says so), view-only or download limit reached (403; every request for
original bytes counts, and such shares are not streamed). Each view, play
and download is audited with the share id and recipient. The raw token never
reaches the audit log: the request's path is rewritten to the token's hash prefix
before the server's audit middleware records it.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from sqlalchemy.orm import Session

from ingest_server.auth.tokens import token_hash
from ingest_server.deps import ACTOR_KEY, AUTH_NOTE_KEY, ContextDep, SessionDep, source_address
from ingest_server.export.naming import unique_names
from ingest_server.portal import streaming
from ingest_server.portal.alignment_pages import timeline_view
from ingest_server.portal.share_pages import package_response
from ingest_server.portal.web import PortalError, render
from ingest_server.ratelimit import service as ratelimit
from ingest_server.reports import service as reports
from ingest_server.shares import service
from ingest_server.shares.models import Share

router = APIRouter(prefix="/review", include_in_schema=False)
RangeHeader = Annotated[str | None, Header(alias="range", max_length=200)]


def _redact(request: Request) -> str:
    """Take the raw token out of what the audit middleware will record; return it."""
    params = request.scope.get("path_params") or {}
    raw = str(params.get("token", ""))
    shown = f"sha256:{token_hash(raw)[:12]}"
    request.scope["path_params"] = {**params, "token": shown}
    request.scope["path"] = request.scope["path"].replace(raw, shown) if raw else request.scope["path"]
    request.state.review_token = raw  # for building the page's own links; never logged
    return raw


def live_share(request: Request, ctx: ContextDep, session: SessionDep) -> Share:
    raw = _redact(request)
    source = source_address(request) or "unknown"
    # guessing: unknown links per address, counted in the database (shared by every process)
    wait = ratelimit.blocked(session=session, rule=ratelimit.SHARE_GUESS, key=source, now=ctx.clock())
    if wait is not None:
        request.scope[AUTH_NOTE_KEY] = "too many unknown share links from this address"
        raise PortalError(
            429,
            "Too many attempts",
            f"Too many invalid links were tried from your address. Try again in {wait} seconds.",
            {"Retry-After": str(wait)},
        )
    share = service.by_token(session=session, token=raw)
    if share is None:
        ratelimit.claim(session=session, rule=ratelimit.SHARE_GUESS, key=source, now=ctx.clock())
        request.scope[AUTH_NOTE_KEY] = "unknown share link"
        raise PortalError(
            404,
            "Link not valid",
            "This review link is not valid. Check that it was copied whole, "
            "or ask the evidence custodian who sent it.",
        )
    request.scope[ACTOR_KEY] = service.label(share)
    state = service.status(share, ctx.clock())
    if state != service.ACTIVE:
        service.record_refused(
            session=session,
            share=share,
            state=state,
            now=ctx.clock(),
            source=source,
            path=request.scope["path"],
        )
        request.scope[AUTH_NOTE_KEY] = f"share {state}"
        when = share.revoked_at if state == service.REVOKED else share.expires_at
        raise PortalError(
            410,
            f"This link was {state}",
            f"This review link was {state} on {when:%Y-%m-%d at %H:%M} UTC and no longer gives "
            "access to the recordings. Ask the evidence custodian for a new link if you still "
            "need them.",
        )
    return share


LiveShare = Annotated[Share, Depends(live_share)]


def _shared_clip(session: Session, share: Share, clip_id: str):
    """The clip, if the share covers it, and its file name as the review page shows it."""
    clips = service.clips_of(session=session, share=share)
    for clip in clips:
        if clip.id == clip_id:
            return clip, unique_names(clips)[clip.id]
    raise PortalError(404, "Not in this share", "This recording is not part of this share.")


def _start(clip) -> float:
    when = clip.corrected_start or clip.camera_start
    return when.timestamp() if when else 0.0


def _case(session: Session, share: Share) -> dict | None:
    """The report's summary for the review page, or None for a share of loose clips."""
    if not share.report_id:
        return None
    report = reports.get(session=session, report_id=share.report_id)
    if report is None:
        return None
    return {
        "number": report.number,
        "start": report.incident_start,
        "end": report.incident_end,
        "place": ", ".join(p for p in (report.town, report.location) if p),
        "officers": reports.officers(report),
        "vehicles": reports.vehicles(report),
        "force": [f.replace("_", " ") for f in json.loads(report.force_types_json or "[]")],
        "status": report.status,
    }


@router.get("/{token}", name="review.page")
def review_page(request: Request, ctx: ContextDep, session: SessionDep, share: LiveShare):
    clips = sorted(service.clips_of(session=session, share=share), key=_start)
    service.record_view(session=session, share=share, now=ctx.clock(), source=source_address(request))
    return render(
        request,
        "review.html",
        share=share,
        clips=clips,
        names=unique_names(clips),
        left=service.downloads_left(share),
        no_play=service.stream_refusal(share),
        base=f"/review/{request.state.review_token}",
        principal=None,
        case=_case(session, share),
        **timeline_view(session=session, clips=clips),  # accepted audio alignments, as on the report page
    )


@router.get("/{token}/clips/{clip_id}/stream", name="review.stream")
def review_stream(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    share: LiveShare,
    clip_id: str,
    range_header: RangeHeader = None,
):
    clip, _ = _shared_clip(session, share, clip_id)
    refusal = service.stream_refusal(share)
    if refusal:
        service.record_stream_refused(
            session=session,
            share=share,
            clip=clip,
            reason=refusal,
            now=ctx.clock(),
            source=source_address(request),
        )
        raise PortalError(403, "Playback not available", refusal[0].upper() + refusal[1:] + ".")
    byte_range = streaming.requested_range(clip, range_header)
    service.record_play(
        session=session,
        share=share,
        clip=clip,
        byte_range=byte_range,
        now=ctx.clock(),
        source=source_address(request),
    )
    return streaming.stream(ctx.storage, clip, byte_range)


@router.get("/{token}/clips/{clip_id}/original", name="review.original")
def review_original(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    share: LiveShare,
    clip_id: str,
    range_header: RangeHeader = None,
):
    clip, name = _shared_clip(session, share, clip_id)
    byte_range = streaming.requested_range(clip, range_header)
    try:
        service.record_download(
            session=session,
            share=share,
            clips=[clip],
            via="original",
            now=ctx.clock(),
            source=source_address(request),
        )
    except service.DownloadRefused as exc:
        raise PortalError(403, "Download not allowed", str(exc)) from exc
    return streaming.stream(ctx.storage, clip, byte_range, download_name=name)


@router.get("/{token}/package.zip", name="review.package")
def review_package(request: Request, ctx: ContextDep, session: SessionDep, share: LiveShare):
    clips = service.clips_of(session=session, share=share)
    try:
        service.record_download(
            session=session,
            share=share,
            clips=clips,
            via="package",
            now=ctx.clock(),
            source=source_address(request),
        )
    except service.DownloadRefused as exc:
        raise PortalError(403, "Download not allowed", str(exc)) from exc
    return package_response(
        session,
        ctx,
        clips=clips,
        exporter=service.label(share),
        source=source_address(request),
        report_id=share.report_id,
        share=share,
    )


@router.get("/{token}/{rest:path}", name="review.unknown")
def review_unknown(share: LiveShare):
    raise PortalError(404, "Not found", "There is nothing at this address.")
