"""Reporting API: the OPM annual export (CSV or JSON, redacted) and one year of the
public statistics: the public portal's own cells, suppressed as on its pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from ingest_server.deps import ContextDep, Reader, SessionDep, StatsReader
from ingest_server.public import service as public
from ingest_server.public.suppression import DEFAULT_MIN_COUNT
from ingest_server.reporting import opm, service, stats
from ingest_server.retention_apply.http import ERRORS

router = APIRouter(prefix="/api/v1/reporting", tags=["reporting"])
Year = Annotated[int, Query(ge=2000, le=2100, description="incident year")]


@router.get(
    "/opm",
    name="reporting.opm",
    summary="Annual OPM export, redacted (CSV or JSON)",
    responses=ERRORS,
    response_class=Response,
)
def opm_export(
    year: Year,
    session: SessionDep,
    who: Reader,
    format: Annotated[str, Query(pattern="^(csv|json)$")] = "json",
) -> Response:
    table = opm.rows(service.records(session=session, year=year))
    if format == "csv":
        return Response(
            opm.to_csv(table),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="use-of-force-{year}.csv"'},
        )
    return Response(opm.to_json(table, year), media_type="application/json")


@router.get(
    "/stats", name="reporting.stats", summary="Public statistics, small counts suppressed", responses=ERRORS
)
def public_stats(
    year: Year,
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    who: StatsReader,
    min_count: Annotated[int | None, Query(description="only the public rule's minimum (5)")] = None,
) -> dict:
    # Another minimum would hide other cells than the pages do, and the two side by side
    # would give hidden counts away: there is one rule.
    if min_count is not None and min_count != DEFAULT_MIN_COUNT:
        raise HTTPException(
            422, f"min_count is fixed by the public rule at {DEFAULT_MIN_COUNT}; leave it out"
        )
    built = public.current(holder=request.app.state, session=session, now=ctx.clock())
    return stats.year_stats(built, year)
