"""Every JSON API router, in one list, for the app factory to include.

The portal's HTML pages are not here: `portal/install.py` adds them.
"""

from __future__ import annotations

from ingest_server.agent_custody.routes import router as agent_custody_router
from ingest_server.alignment.routes import router as alignment_router
from ingest_server.audit.routes import router as audit_router
from ingest_server.auth.routes import router as auth_router
from ingest_server.clips.routes import router as clips_router
from ingest_server.derived.routes import router as derived_router
from ingest_server.export.custody_routes import router as custody_router
from ingest_server.fixity.routes import router as fixity_router
from ingest_server.holds.routes import router as holds_router
from ingest_server.jobs.routes import router as jobs_router
from ingest_server.linking.routes import router as links_router
from ingest_server.related.routes import router as related_router
from ingest_server.reporting.routes import router as reporting_router
from ingest_server.reports.routes import router as reports_router
from ingest_server.retention_apply.routes import router as retention_router
from ingest_server.sweeper.routes import router as sweeper_router
from ingest_server.sweeper.schedule import router as schedule_router
from ingest_server.uploads.routes import router as uploads_router

API_ROUTERS = (
    uploads_router,
    clips_router,
    related_router,
    custody_router,
    audit_router,
    auth_router,
    reports_router,
    links_router,
    holds_router,
    retention_router,
    sweeper_router,
    fixity_router,
    reporting_router,
    schedule_router,
    jobs_router,
    alignment_router,
    derived_router,
    agent_custody_router,
)
