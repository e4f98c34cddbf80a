"""The server's own schedule: retention sweep, fixity sample and catch-up linking.

A thread with a stop event (never a bare sleep). Settings, environment prefix
EVIDENCE_JOBS_: `enabled` (default true), `sweep_every_seconds` (default 1 hour),
`fixity_every_seconds` (default 1 day), `fixity_sample` (default 0.01). Each job
runs first one interval after start-up. With several server processes, the
sweep lease lets only one of them delete at a time; the others log "busy".
`router` carries the lifespan that starts and stops the thread with the app.
"""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

from fastapi import APIRouter
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)


class JobSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVIDENCE_JOBS_", extra="ignore")

    enabled: bool = True
    sweep_every_seconds: float = Field(3600, ge=1)
    fixity_every_seconds: float = Field(86400, ge=1)
    fixity_sample: float = Field(0.01, gt=0, le=1)


class Scheduler:
    def __init__(self, ctx, settings: JobSettings) -> None:
        self.ctx, self.settings = ctx, settings
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="evidence-jobs", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=30)

    def _loop(self) -> None:
        from ingest_server.fixity import service as fixity
        from ingest_server.sweeper import service as sweeper

        tick = min(self.settings.sweep_every_seconds, self.settings.fixity_every_seconds)
        since_sweep = since_fixity = 0.0
        while not self.stop_event.wait(tick):
            since_sweep += tick
            since_fixity += tick
            try:
                if since_sweep >= self.settings.sweep_every_seconds:
                    since_sweep = 0.0
                    for line in sweeper.sweep(self.ctx, dry_run=False).lines():
                        log.info("sweep: %s", line)
                if since_fixity >= self.settings.fixity_every_seconds:
                    since_fixity = 0.0
                    with self.ctx.sessions() as session:
                        run = fixity.check(self.ctx, session, sample=self.settings.fixity_sample)
                    for line in run.lines():
                        (log.error if line.startswith("MISMATCH") else log.info)("fixity: %s", line)
            except Exception:  # a failed run is logged and tried again next interval
                log.exception("scheduled retention/fixity job failed")


@asynccontextmanager
async def _lifespan(app):
    settings = JobSettings()
    scheduler = Scheduler(app.state.ctx, settings) if settings.enabled else None
    if scheduler:
        scheduler.start()
    try:
        yield
    finally:
        if scheduler:
            scheduler.stop()


router = APIRouter(lifespan=_lifespan)
