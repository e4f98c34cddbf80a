"""Chain-of-custody report of one clip: every audit event that names it, as CSV
(for tools) and as a readable HTML page (for a court), with each event's hash so
it can be checked against the server's hash-chained log.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.audit.models import AuditEvent
from ingest_server.audit.words import in_words
from ingest_server.clips import labels, sightings
from ingest_server.clips.models import Clip

COLUMNS = (
    "seq",
    "occurred_at",
    "component",
    "event_type",
    "actor",
    "outcome",
    "object_type",
    "object_id",
    "source",
    "detail",
    "prev_hash",
    "hash",
)  # every field the event hash covers (audit/service.py:HASHED_FIELDS), then the hash
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
    writer.writerow((*COLUMNS, "in_words"))
    for e in events:
        writer.writerow([getattr(e, c) for c in COLUMNS] + [in_words(e)])
    return out.getvalue().encode("utf-8")


def describe(detail: str) -> str:
    try:
        data = json.loads(detail or "{}")
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return str(data)

    def plain(value) -> str:  # lists and objects as words, not Python reprs
        if isinstance(value, list):
            return ", ".join(plain(v) for v in value)
        if isinstance(value, dict):
            return ", ".join(f"{k} {plain(v)}" for k, v in value.items())
        return str(value)

    return "; ".join(f"{k}: {plain(v)}" for k, v in sorted(data.items()) if v not in (None, "", [], {}))


def offset_text(clip: Clip) -> str:
    """ "+4.500 s ±0.500 s (camera clock minus true time)", or "unknown"."""
    if clip.clock_offset_seconds is None:
        return "unknown"
    text = f"{clip.clock_offset_seconds:+.3f} s"
    if clip.clock_offset_uncertainty_seconds is not None:
        text += f" ±{clip.clock_offset_uncertainty_seconds:.3f} s"
    return text + " (camera clock minus true time)"


def to_html(
    clip: Clip,
    events: list[AuditEvent],
    *,
    file_name: str,
    generated_at: datetime,
    exporter: str,
    alignments: list[tuple] = (),
    names: dict[str, str] | None = None,
    related: Sequence[dict] = (),
) -> bytes:
    """`alignments`: (ClipAlignment, sentence) pairs accepted for this clip; `names`: clip id -> file name;
    `related`: the clip's sidecars in the package (export/sidecars.py:listed)."""
    page = _env.get_template("custody.html").render(
        related=related,
        alignments=alignments,
        names=names or {},
        clip=clip,
        events=events,
        file_name=file_name,
        generated_at=generated_at,
        exporter=exporter,
        describe=describe,
        in_words=in_words,
        warnings=labels.warnings(clip),
        flags=labels.short_flags(clip),
        recorded_by=labels.recorded_by(clip),
        offset=offset_text(clip),
        sighting_words=sightings.in_words,
    )
    return page.encode("utf-8")
