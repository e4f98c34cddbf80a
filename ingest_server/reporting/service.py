"""Load a year's reports from the database as `ReportRecord`s for the export and statistics."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.reporting.opm import ReportRecord
from ingest_server.reports.models import Report


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def records(*, session: Session, year: int) -> list[ReportRecord]:
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    query = (
        select(Report)
        .where(Report.incident_start >= start, Report.incident_start < end)
        .order_by(Report.incident_start, Report.number)
    )
    return [
        ReportRecord(
            number=r.number,
            incident_start=_iso(r.incident_start),
            incident_end=_iso(r.incident_end),
            town=r.town,
            location=r.location,
            description=r.description,
            status=r.status,
            closed_at=_iso(r.closed_at),
            officers=tuple(json.loads(r.officers_json)),
            vehicles=tuple(json.loads(r.vehicles_json)),
            force_types=tuple(json.loads(r.force_types_json)),
            inspector_general=r.inspector_general,
            subjects=tuple(json.loads(r.subjects_json)),
        )
        for r in session.execute(query).scalars()
    ]
