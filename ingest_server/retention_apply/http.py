"""HTTP glue shared by the report, link, hold and retention routes: service
errors to HTTP errors, and a guarded change to 200/201 (done) or 202 (waiting for
a second custodian, with its dry run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse

from ingest_server.errors import HTTP_STATUS, ErrorOut
from ingest_server.holds.service import HoldError
from ingest_server.linking.service import LinkError
from ingest_server.reports.service import ReportError
from ingest_server.retention_apply.guard import ChangeError, Outcome
from ingest_server.retention_apply.schemas import ChangeRequestPublic, PendingChange
from retention import PolicyError

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422)}
PENDING_RESPONSE: dict[int | str, dict[str, Any]] = {
    202: {"model": PendingChange, "description": "shortens retention: waits for a second custodian"}
}


@contextmanager
def service_errors() -> Iterator[None]:
    try:
        yield
    except (ChangeError, ReportError, LinkError, HoldError) as exc:
        raise HTTPException(HTTP_STATUS[exc.why], str(exc)) from exc
    except PolicyError as exc:
        raise HTTPException(422, str(exc)) from exc


def respond(outcome: Outcome, public: Callable[[Any], Any], status: int = 200):
    if outcome.applied:
        body = public(outcome.result)
        if status == 200:
            return body
        return JSONResponse(body.model_dump(mode="json"), status_code=status)
    pending = PendingChange(
        detail="this change shortens retention: it waits for a second, different custodian "
        f"(POST /api/v1/retention/changes/{outcome.request.id}/approve)",
        change=ChangeRequestPublic.of(outcome.request),
    )
    return JSONResponse(pending.model_dump(mode="json"), status_code=202)
