"""Console pages for shares: list, create (from chosen clips or a report), see one
share with every use of it, revoke it, and export its court package.

The link is shown once, on the page that answers the creation: only its hash is kept.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from ingest_server.audit import service as audit_service
from ingest_server.auth.permissions import Permission
from ingest_server.clips.models import Clip
from ingest_server.context import ServerContext
from ingest_server.deps import ContextDep, SessionDep, source_address
from ingest_server.export import bag
from ingest_server.portal import links
from ingest_server.portal.deps import ConsoleUser, allow, check_csrf
from ingest_server.portal.web import PortalError, render
from ingest_server.shares import service as shares

router = APIRouter(prefix="/portal/shares", include_in_schema=False)
Short = Annotated[str, Form(max_length=200)]


def _share(session, share_id: str):
    share = shares.get(session=session, share_id=share_id[:32])
    if share is None:
        raise PortalError(404, "No such share", f"There is no share {share_id[:32]}.")
    return share


@router.get("", name="portal.shares")
def share_list(request: Request, ctx: ContextDep, session: SessionDep, user: ConsoleUser):
    allow(request, user, Permission.SHARES_MANAGE)
    rows = shares.listing(session=session)
    now = ctx.clock()
    return render(request, "shares.html", shares=rows, status={s.id: shares.status(s, now) for s in rows})


@router.post("", name="portal.share_create")
def share_create(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    csrf: Short = "",
    recipient: Short = "",
    title: Short = "",
    report_id: Annotated[str, Form(max_length=64)] = "",
    clip_ids: Annotated[list[str], Form(max_length=500)] = [],  # noqa: B006 (FastAPI reads it)
    days: Annotated[int, Form(ge=1, le=shares.MAX_DAYS)] = shares.DEFAULT_DAYS,
    allow_download: Annotated[str, Form(max_length=10)] = "",
    download_limit: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
):
    allow(request, user, Permission.SHARES_MANAGE)
    check_csrf(request, csrf)
    report_id = report_id.strip()
    ids = [c[:32] for c in clip_ids]
    if report_id and not ids:
        ids = links.clip_ids_of_report(session=session, report_id=report_id)
        if ids is None:
            raise PortalError(404, "No such report", f"There is no report {report_id}.")
    limit = None
    if download_limit.strip():
        if not download_limit.strip().isascii() or not download_limit.strip().isdigit():
            raise PortalError(422, "Bad download limit", "The download limit must be a whole number.")
        limit = int(download_limit)
    try:
        share, token = shares.create(
            session=session,
            clip_ids=ids,
            recipient=recipient,
            title=title,
            actor=user.label,
            now=ctx.clock(),
            report_id=report_id or None,
            note=note,
            days=days,
            allow_download=bool(allow_download),
            download_limit=limit,
            source=source_address(request),
        )
    except shares.ShareError as exc:
        raise PortalError(422, "Cannot share", str(exc)) from exc
    link = str(request.base_url).rstrip("/") + f"/review/{token}"
    return render(
        request,
        "share_created.html",
        201,
        share=share,
        link=link,
        clips=shares.clips_of(session=session, share=share),
    )


@router.get("/{share_id}", name="portal.share")
def share_page(request: Request, ctx: ContextDep, session: SessionDep, user: ConsoleUser, share_id: str):
    allow(request, user, Permission.SHARES_MANAGE)
    share = _share(session, share_id)
    uses, total = audit_service.search(session=session, actor=shares.label(share), limit=1000, offset=0)
    made, _ = audit_service.search(session=session, object_id=share.id, limit=100, offset=0)
    events = sorted({e.seq: e for e in [*made, *uses]}.values(), key=lambda e: e.seq)
    return render(
        request,
        "share.html",
        share=share,
        clips=shares.clips_of(session=session, share=share),
        events=events,
        status=shares.status(share, ctx.clock()),
        left=shares.downloads_left(share),
    )


@router.post("/{share_id}/revoke", name="portal.share_revoke")
def share_revoke(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    share_id: str,
    csrf: Short = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
):
    allow(request, user, Permission.SHARES_MANAGE)
    check_csrf(request, csrf)
    share = _share(session, share_id)
    if not reason.strip():
        raise PortalError(422, "Give a reason", "Say why the link is revoked; it is kept in the audit log.")
    try:
        shares.revoke(
            session=session,
            share=share,
            actor=user.label,
            reason=reason.strip(),
            now=ctx.clock(),
            source=source_address(request),
        )
    except shares.ShareError as exc:
        raise PortalError(409, "Already revoked", str(exc)) from exc
    return share_page(request, ctx, session, user, share_id)


def package_response(
    session, ctx: ServerContext, *, clips: list[Clip], exporter: str, source, report_id=None, share=None
):
    """Build the BagIt zip in a temporary folder and send it; the folder goes when the response ends."""
    out_dir = Path(tempfile.mkdtemp(prefix="evidence-export-"))
    try:
        package = bag.build(
            session=session,
            storage=ctx.storage,
            clips=clips,
            exporter=exporter,
            now=ctx.clock(),
            out_dir=out_dir,
            report_id=report_id,
            share=share,
            source=source,
            ctx=ctx,
        )
    except bag.ExportError as exc:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise PortalError(502, "Export refused", str(exc)) from exc
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    return FileResponse(
        package.path,
        media_type="application/zip",
        filename=package.path.name,
        headers={"X-Content-SHA256": package.sha256},
        background=BackgroundTask(shutil.rmtree, out_dir, ignore_errors=True),
    )


@router.get("/{share_id}/package.zip", name="portal.share_package")
def share_package(request: Request, ctx: ContextDep, session: SessionDep, user: ConsoleUser, share_id: str):
    allow(request, user, Permission.SHARES_MANAGE)
    share = _share(session, share_id)
    return package_response(
        session,
        ctx,
        clips=shares.clips_of(session=session, share=share),
        exporter=user.label,
        source=source_address(request),
        report_id=share.report_id,
        share=share,
    )
