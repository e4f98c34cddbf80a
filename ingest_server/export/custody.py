"""Chain-of-custody report of one clip: every audit event that names it, as CSV
(for tools) and as a readable HTML page (for a court), with each event's hash so
it can be checked against the server's hash-chained log.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.audit.models import AuditEvent
from ingest_server.clips.models import Clip

COLUMNS = (
    "seq",
    "occurred_at",
    "component",
    "event_type",
    "actor",
    "outcome",
    "source",
    "detail",
    "hash",
    "prev_hash",
)
_env = Environment(loader=PackageLoader("ingest_server.export", "templates"), autoescape=select_autoescape())


def trail(*, session: Session, clip_id: str, page: int = 1000) -> list[AuditEvent]:
    events, offset = [], 0
    while True:
        rows, total = audit.search(session=session, object_id=clip_id, limit=page, offset=offset)
        events.extend(rows)
        offset += len(rows)
        if not rows or offset >= total:
            return events


def to_csv(events: list[AuditEvent]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for e in events:
        writer.writerow([getattr(e, c) if c != "detail" else e.detail for c in COLUMNS])
    return out.getvalue().encode("utf-8")


def describe(detail: str) -> str:
    try:
        data = json.loads(detail or "{}")
    except ValueError:
        return detail
    return "; ".join(f"{k}: {v}" for k, v in sorted(data.items()) if v not in (None, "", []))


def to_html(
    clip: Clip,
    events: list[AuditEvent],
    *,
    file_name: str,
    generated_at: datetime,
    exporter: str,
    alignments: list[tuple] = (),
    names: dict[str, str] | None = None,
) -> bytes:
    """`alignments`: (ClipAlignment, sentence) pairs accepted for this clip; `names`: clip id -> file name."""
    page = _env.get_template("custody.html").render(
        alignments=alignments,
        names=names or {},
        clip=clip,
        events=events,
        file_name=file_name,
        generated_at=generated_at,
        exporter=exporter,
        describe=describe,
    )
    return page.encode("utf-8")
