"""Reporting API: the OPM annual export (CSV or JSON, redacted) and the public
statistics (small counts suppressed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ingest_server.deps import Reader, SessionDep, StatsReader
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
    session: SessionDep,
    who: StatsReader,
    min_count: Annotated[int, Query(ge=2, le=100)] = stats.DEFAULT_MIN_COUNT,
) -> dict:
    return {
        "year": year,
        **stats.public_stats(service.records(session=session, year=year), min_count=min_count),
    }
