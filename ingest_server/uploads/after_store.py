"""What happens after a clip is stored: fill its empty display fields from its
sightings (clips/sightings.py), link it to the reports it belongs to, then decide
and apply its retention (the store's Object Lock is told).

`uploads/complete.py:complete` calls `after_clip_stored` once the clip is
indexed and receipted; the sweeper's catch-up does the same work for any clip
left without a retention decision. Linking (linking/service.py) and retention
(retention_apply/recompute.py) stay unaware of each other: this module is the
only place that chains them.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from ingest_server.audit.source import audit_source, audit_source_of
from ingest_server.clips import sightings
from ingest_server.clips.models import Clip
from ingest_server.context import ServerContext
from ingest_server.linking import service as linking
from ingest_server.linking.models import ClipLink
from ingest_server.retention_apply import recompute

SYSTEM_ACTOR = linking.SYSTEM_ACTOR
log = logging.getLogger(__name__)


def on_clip_stored(
    *, ctx: ServerContext, session: Session, clip: Clip, actor: str = SYSTEM_ACTOR
) -> list[ClipLink]:
    """Fill its empty fields from its sightings, link a newly stored clip to its reports and
    apply its retention (store told). Commits."""
    now = ctx.clock()
    sightings.fill(session=session, clip=clip, actor=actor, source=audit_source())
    links = linking.link_clip(session=session, clip=clip, actor=actor, now=now)
    recompute.apply(ctx=ctx, session=session, clip_ids=[clip.id], actor=actor, now=now)
    return links


def after_clip_stored(*, ctx: ServerContext, session: Session, clip: Clip, source: str | None = None) -> None:
    """The upload path's hook: `on_clip_stored`, never failing the upload.

    The clip is already stored and receipted when this runs; if linking or the
    store cannot be reached now, the error is logged and the sweeper's catch-up
    (every clip without a retention decision) links and decides it later.
    """
    try:
        with audit_source_of(source):
            on_clip_stored(ctx=ctx, session=session, clip=clip)
    except Exception:
        session.rollback()
        log.exception("linking/retention of clip %s failed; the sweeper's catch-up will retry", clip.id)
