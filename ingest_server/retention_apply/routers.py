"""Every router of the reports/retention side, for the app factory to include."""

from __future__ import annotations

from ingest_server.fixity.routes import router as fixity_router
from ingest_server.holds.routes import router as holds_router
from ingest_server.linking.routes import router as links_router
from ingest_server.reporting.routes import router as reporting_router
from ingest_server.reports.routes import router as reports_router
from ingest_server.retention_apply.routes import router as retention_router
from ingest_server.sweeper.routes import router as sweeper_router
from ingest_server.sweeper.schedule import router as schedule_router

ROUTERS = (
    reports_router,
    links_router,
    holds_router,
    retention_router,
    sweeper_router,
    fixity_router,
    reporting_router,
    schedule_router,
)
