"""The server's own schedule: retention sweep, fixity sample and catch-up linking.

A thread with a stop event (never a bare sleep). Settings, environment prefix
EVIDENCE_JOBS_: `enabled` (default true), `sweep_every_seconds` (default 1 hour),
`fixity_every_seconds` (default 1 day), `fixity_sample` (default 0.01),
`checkpoint_every_seconds` (default 1 hour: a signed checkpoint of the audit chain
head written to the Object-Locked store, `ingest_server/anchor`). Each job
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

from ingest_server.anchor import service as anchor
from ingest_server.context import ServerContext
from ingest_server.fixity import service as fixity
from ingest_server.sweeper import service as sweeper

log = logging.getLogger(__name__)


class JobSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVIDENCE_JOBS_", extra="ignore")

    enabled: bool = True
    sweep_every_seconds: float = Field(3600, ge=1)
    fixity_every_seconds: float = Field(86400, ge=1)
    fixity_sample: float = Field(0.01, gt=0, le=1)
    checkpoint_every_seconds: float = Field(3600, ge=1)


class Scheduler:
    def __init__(self, ctx: ServerContext, settings: JobSettings) -> None:
        self.ctx, self.settings = ctx, settings
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="evidence-jobs", daemon=True)
        self.since_sweep = self.since_fixity = self.since_checkpoint = 0.0

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=30)

    @property
    def tick_seconds(self) -> float:
        return min(
            self.settings.sweep_every_seconds,
            self.settings.fixity_every_seconds,
            self.settings.checkpoint_every_seconds,
        )

    def _loop(self) -> None:
        while not self.stop_event.wait(self.tick_seconds):
            self.tick(self.tick_seconds)

    def tick(self, elapsed: float) -> list[str]:
        """Account for `elapsed` seconds and run the jobs now due; returns what they said."""
        self.since_sweep += elapsed
        self.since_fixity += elapsed
        self.since_checkpoint += elapsed
        said: list[str] = []
        try:
            if self.since_checkpoint >= self.settings.checkpoint_every_seconds:
                self.since_checkpoint = 0.0
                with self.ctx.sessions() as session:
                    body = anchor.write_checkpoint(ctx=self.ctx, session=session)["checkpoint"]
                said.append(f"checkpoint: audit chain head {body['seq']} signed and stored")
            if self.since_sweep >= self.settings.sweep_every_seconds:
                self.since_sweep = 0.0
                said += [f"sweep: {line}" for line in sweeper.sweep(ctx=self.ctx, dry_run=False).lines()]
            if self.since_fixity >= self.settings.fixity_every_seconds:
                self.since_fixity = 0.0
                with self.ctx.sessions() as session:
                    run = fixity.check(ctx=self.ctx, session=session, sample=self.settings.fixity_sample)
                said += [f"fixity: {line}" for line in run.lines()]
        except Exception:  # a failed run is logged and tried again next interval
            log.exception("scheduled retention/fixity job failed")
            said.append("a scheduled job failed; see the log")
        for line in said:
            (log.error if "MISMATCH" in line or "FAILED" in line else log.info)("%s", line)
        return said


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
