"""Place and release legal holds from a clip's page (the report page has the same
forms for its clips). Through the retention guard: releasing the last hold of a
clip shortens its retention and waits for a second custodian.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from ingest_server.auth.permissions import Permission
from ingest_server.clips import service as clips
from ingest_server.deps import ContextDep, SessionDep, source_address
from ingest_server.portal import links
from ingest_server.portal.deps import ConsoleUser, allow, check_csrf
from ingest_server.portal.web import PortalError

router = APIRouter(prefix="/portal/clips/{clip_id}/holds", include_in_schema=False)
Reason = Annotated[str, Form(max_length=1000)]
Csrf = Annotated[str, Form(max_length=100)]


def _checked(request: Request, session, user, clip_id: str, csrf: str):
    allow(request, user, Permission.RECORDS_CHANGE, "place or release holds")
    check_csrf(request, csrf)
    clip = clips.get(session=session, clip_id=clip_id[:32])
    if clip is None:
        raise PortalError(404, "No such clip", f"There is no clip {clip_id[:32]}.")
    return clip


def _back(clip_id: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"/portal/clips/{clip_id}?m={quote(message)}", status_code=303)


@router.post("", name="portal.clip_hold_place")
def place(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    clip_id: str,
    csrf: Csrf = "",
    matter: Annotated[str, Form(max_length=200)] = "",
    reason: Reason = "",
):
    clip = _checked(request, session, user, clip_id, csrf)
    if not matter.strip() or not reason.strip():
        raise PortalError(422, "Say what for", "Name the matter and the reason for the hold.")
    message = links.place_hold(
        ctx=ctx,
        session=session,
        clip_id=clip.id,
        matter=matter.strip(),
        reason=reason.strip(),
        principal=user,
        source=source_address(request),
    )
    return _back(clip.id, message)


@router.post("/{hold_id}/release", name="portal.clip_hold_release")
def release(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    clip_id: str,
    hold_id: str,
    csrf: Csrf = "",
    reason: Reason = "",
):
    clip = _checked(request, session, user, clip_id, csrf)
    message = links.release_hold(
        ctx=ctx,
        session=session,
        hold_id=hold_id,
        reason=links.reason_given(reason, "release this hold"),
        principal=user,
        source=source_address(request),
    )
    return _back(clip.id, message)
