"""The FastAPI app factory.

`create_app(settings)` checks the database is migrated (refusing to start
otherwise, naming the command that fixes it), makes sure the bucket exists with
versioning and Object Lock, loads or creates the receipt signing key, and wires
the routers, the audit middleware, the body size limit and the input guard.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

from ingest_server import migrate
from ingest_server.audit.middleware import AuditMiddleware
from ingest_server.context import ServerContext
from ingest_server.db import make_engine, make_sessionmaker
from ingest_server.errors import BodyLimitMiddleware, install_error_handlers
from ingest_server.input_guard import InputGuardMiddleware
from ingest_server.jobs import service as jobs
from ingest_server.portal.install import install as install_portal
from ingest_server.private_files import private_dir, private_sqlite
from ingest_server.public.routes import router as public_router
from ingest_server.receipts import ReceiptSigner, load_or_create_key
from ingest_server.routers import API_ROUTERS
from ingest_server.settings import Settings
from ingest_server.storage import Storage, make_client


class Health(BaseModel):
    status: str


def build_context(settings: Settings, *, storage: Storage | None = None, clock=None) -> ServerContext:
    if settings.database_url is None:  # the embedded default: database and key in data_dir
        private_dir(settings.data_dir)
    private_sqlite(settings.db_url)
    engine = make_engine(settings.db_url)
    migrate.check(engine)
    if storage is None:
        storage = Storage(make_client(settings), settings.s3_bucket)
        storage.ensure_bucket(create=settings.s3_create_bucket)
    signer = ReceiptSigner(load_or_create_key(settings.key_path))
    ctx = ServerContext(
        settings=settings, engine=engine, sessions=make_sessionmaker(engine), storage=storage, signer=signer
    )
    if clock is not None:
        ctx.clock = clock
    jobs.install(sessions=ctx.sessions, settings=settings)
    return ctx


def create_app(settings: Settings | None = None, *, context: ServerContext | None = None) -> FastAPI:
    ctx = context or build_context(settings or Settings())
    app = FastAPI(
        title="Evidence ingest server",
        version="1.0.0",
        description="Verified multipart upload of body-camera and dashcam clips, the clip index, "
        "signed receipts and a hash-chained audit log.",
    )
    app.state.ctx = ctx

    @app.get(
        "/api/v1/health",
        name="health",
        summary="Liveness (not audited)",
        response_model=Health,
        tags=["meta"],
    )
    def health() -> Health:
        return Health(status="ok")

    for router in API_ROUTERS:
        app.include_router(router)
    app.include_router(public_router)  # /public/: anonymous statistics, when settings.public_portal
    install_portal(app)
    install_error_handlers(app)
    # innermost first: odd characters refused, then the body size limit, and the audit outside
    # both, so that every refusal is audited too
    app.add_middleware(InputGuardMiddleware)
    app.add_middleware(BodyLimitMiddleware, limit=ctx.settings.max_body_bytes)
    app.add_middleware(AuditMiddleware, sessions_of=lambda scope: ctx.sessions)
    return app
