"""The journal's schema: clip states, allowed transitions, the SQLite tables and `ClipRow`.

The states and transitions are the clip's life on the car: DISCOVERED -> SPOOLED
(this package) -> REGISTERED -> UPLOADED -> RECEIPTED -> RELEASED (uploader and
release), plus QUARANTINED with a reason. The CHECK constraints make a half-
recorded SPOOLED row, or a reasonless quarantine, impossible to commit.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from edge_agent.core.clip_state import HELD_STATES, STATES, ClipState

__all__ = ["ALLOWED", "COLUMNS", "HELD_STATES", "SCHEMA", "SETTABLE", "STATES", "ClipRow", "ClipState"]

ALLOWED = {
    (ClipState.DISCOVERED, ClipState.SPOOLED),
    (ClipState.DISCOVERED, ClipState.QUARANTINED),
    (ClipState.QUARANTINED, ClipState.DISCOVERED),
    (ClipState.SPOOLED, ClipState.REGISTERED),
    (ClipState.REGISTERED, ClipState.UPLOADED),
    (ClipState.UPLOADED, ClipState.RECEIPTED),
    (ClipState.RECEIPTED, ClipState.RELEASED),
    (ClipState.SPOOLED, ClipState.QUARANTINED),
    (ClipState.REGISTERED, ClipState.QUARANTINED),
    (ClipState.UPLOADED, ClipState.QUARANTINED),
    (ClipState.REGISTERED, ClipState.SPOOLED),
    # the server refused the bytes at completion; the verified copy is resent
    (ClipState.UPLOADED, ClipState.SPOOLED),
}

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS clips (
    id INTEGER PRIMARY KEY,
    source_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL DEFAULT 'clip',
    device_serial TEXT,
    volume_root TEXT,
    relpath TEXT NOT NULL,
    relpath_bytes BLOB,
    size INTEGER,
    mtime_ns INTEGER,
    profile TEXT,
    state TEXT NOT NULL CHECK (state IN {STATES!r}),
    spool_path TEXT,
    sha256 TEXT,
    manifest_json TEXT,
    metadata_json TEXT,
    flags_json TEXT NOT NULL DEFAULT '[]',
    clock_offset_seconds REAL,
    error TEXT,
    quarantine_reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    server_clip_id TEXT,
    upload_id TEXT,
    receipt_json TEXT,
    released_at TEXT,
    release_action TEXT,
    spool_removed_at TEXT,
    release_intent_json TEXT,
    refusals INTEGER NOT NULL DEFAULT 0,
    superseded_by INTEGER,
    CHECK (state IN ({ClipState.DISCOVERED.value!r}, {ClipState.QUARANTINED.value!r})
           OR (spool_path IS NOT NULL AND sha256 IS NOT NULL AND manifest_json IS NOT NULL)),
    CHECK (state != {ClipState.QUARANTINED.value!r} OR quarantine_reason IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS clips_state ON clips(state);
CREATE INDEX IF NOT EXISTS clips_device ON clips(device_serial);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    path TEXT
);
"""


@dataclass(frozen=True)
class ClipRow:
    id: int
    source_key: str
    kind: str
    device_serial: str | None
    volume_root: str | None
    relpath: str
    relpath_bytes: bytes | None
    size: int | None
    mtime_ns: int | None
    profile: str | None
    state: ClipState
    spool_path: str | None
    sha256: str | None
    manifest_json: str | None
    metadata_json: str | None
    flags_json: str
    clock_offset_seconds: float | None
    error: str | None
    quarantine_reason: str | None
    attempts: int
    created_at: str
    updated_at: str
    server_clip_id: str | None
    upload_id: str | None
    receipt_json: str | None
    released_at: str | None
    release_action: str | None
    spool_removed_at: str | None = None
    release_intent_json: str | None = None  # journaled before a camera copy is deleted or moved
    refusals: int = 0  # the server refused it with a non-retryable 4xx, this many times in a row
    superseded_by: int | None = None  # a DISCOVERED row whose file changed: the row of its new version

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", ClipState(self.state))  # SQLite gives the bare string

    @property
    def flags(self) -> list[str]:
        return json.loads(self.flags_json)

    @property
    def manifest(self) -> dict | None:
        return json.loads(self.manifest_json) if self.manifest_json else None

    @property
    def metadata(self) -> dict:
        return json.loads(self.metadata_json) if self.metadata_json else {}


COLUMNS = tuple(f.name for f in dataclasses.fields(ClipRow))
SETTABLE = set(COLUMNS) - {"id", "source_key", "state", "created_at", "updated_at"}
