"""Read every report from the database and build the public site from it.

The records come from `ingest_server.reporting.service.records`, one incident year
at a time, so the portal, the OPM export and the signed-in statistics read the
same rows the same way. `current` keeps the built site per app, rebuilt once per
change of the data (and of the day, which it carries): `/public/` serves its
files and `/api/v1/reporting/stats` reads its cells, so the two cannot differ.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingest_server.public import site
from ingest_server.reporting import service as reporting
from ingest_server.reporting.opm import ReportRecord
from ingest_server.reports.models import Report
from ingest_server.retention_apply import policy_store


def all_records(*, session: Session) -> list[ReportRecord]:
    first, last = session.execute(
        select(func.min(Report.incident_start), func.max(Report.incident_start))
    ).one()
    if first is None:
        return []
    out: list[ReportRecord] = []
    for year in range(first.year, last.year + 1):
        out.extend(reporting.records(session=session, year=year))
    return out


def fingerprint(*, session: Session) -> tuple:
    """Changes whenever a report is added or edited (revisions only grow) or the policy changes."""
    reports = session.execute(
        select(func.count(Report.id), func.sum(Report.revision), func.max(Report.updated_at))
    ).one()
    return (*reports, policy_store.current(session=session).version)


def current(*, holder: Any, session: Session, now: datetime) -> site.Site:
    """The site for today's data, built at most once per change; cached on `holder` (app.state)."""
    key = (fingerprint(session=session), now.date())
    cached = getattr(holder, "public_site", None)
    if cached is None or cached[0] != key:
        cached = (key, build(session=session, now=now))
        holder.public_site = cached
    return cached[1]


def build(*, session: Session, now: datetime) -> site.Site:
    return site.build(
        all_records(session=session),
        now=now,
        retention_policy_version=policy_store.current(session=session).version,
    )
