"""Console page for changes that wait for a second custodian (an unlink or a hold
release that shortens retention): each with what it would do to each clip, and
approve or refuse with a note. The requester cannot approve their own change.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from ingest_server.auth.permissions import Permission, may
from ingest_server.deps import ContextDep, SessionDep, source_address
from ingest_server.errors import HTTP_STATUS
from ingest_server.portal.deps import ConsoleUser, allow, check_csrf
from ingest_server.portal.web import PortalError, render
from ingest_server.retention_apply import approvals
from ingest_server.retention_apply.guard import ChangeError
from ingest_server.retention_apply.models import PENDING, ChangeRequest

router = APIRouter(prefix="/portal/approvals", include_in_schema=False)


@router.get("", name="portal.approvals")
def pending(request: Request, session: SessionDep, user: ConsoleUser, m: str = ""):
    allow(request, user, Permission.RECORDS_READ, "read retention changes")
    rows = session.execute(
        select(ChangeRequest).where(ChangeRequest.status == PENDING).order_by(ChangeRequest.requested_at)
    ).scalars()
    changes = [(row, [line["text"] for line in json.loads(row.dry_run_json or "[]")]) for row in rows]
    return render(
        request,
        "approvals.html",
        changes=changes,
        message=m[:300],
        can_approve=may(user.role, Permission.RETENTION_APPROVE),
    )


@router.post("/{request_id}", name="portal.approve")
def decide(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    user: ConsoleUser,
    request_id: str,
    csrf: Annotated[str, Form(max_length=100)] = "",
    decision: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
):
    allow(request, user, Permission.RETENTION_APPROVE)
    check_csrf(request, csrf)
    if decision not in ("approve", "refuse"):
        raise PortalError(422, "Choose", "Approve or refuse the change.")
    try:
        row = approvals.decide(
            ctx=ctx,
            session=session,
            request_id=request_id[:32],
            approver=user,
            approve=decision == "approve",
            note=note.strip(),
            source=source_address(request),
        )
    except ChangeError as exc:
        session.rollback()
        raise PortalError(HTTP_STATUS[exc.why], "Not done", str(exc)) from exc
    return RedirectResponse(f"/portal/approvals?m=change+{row.id}+is+now+{row.status}", status_code=303)
