"""The car's half of the chain of custody: what the agent did with each clip, and when.

One row per event in the journal's `custody_events` table, written in the same
SQLite transaction as the step it records (a state change records its event in
`Journal.transition`; the steps without one, docked, clock read, copy started and
a refused release, through `Journal.custody_log.add`). `seq` is the car's sequence number
(AUTOINCREMENT: never reused, so the server can deduplicate on it); `at` is the
car's clock when it happened.

After the clip's receipt the uploader seals each event (`seal`: the signed payload
and its Ed25519 signature by the device key are stored in the row, so a re-send
is byte for byte the same) and posts it (`upload/custody_sender.py`); `mark_sent`
records what the server acknowledged. A crash between the post and `mark_sent`
only re-sends: the server recognises (device, seq) with the same payload.
The payload's format is in docs/custody_events.md.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from edge_agent.core.clip_state import ClipState

PAYLOAD_FORMAT = "evidence-agent-custody/1"


class Kind(StrEnum):
    DOCKED = "docked"
    CLOCK_READ = "clock_read"
    COPY_STARTED = "copy_started"
    COPY_FINISHED = "copy_finished"
    SEGMENT_CLOSED = "segment_closed"  # a UVC dashcam segment, spooled as it was recorded
    REGISTERED = "registered"
    RECEIPT_RECEIVED = "receipt_received"
    UPLOAD_REFUSED = "upload_refused"
    CAMERA_COPY_DELETED = "camera_copy_deleted"
    CAMERA_COPY_MOVED = "camera_copy_moved"
    CAMERA_COPY_KEPT = "camera_copy_kept"
    RELEASE_REFUSED = "release_refused"
    QUARANTINED = "quarantined"


SCHEMA = """
CREATE TABLE IF NOT EXISTS custody_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    clip_id INTEGER NOT NULL REFERENCES clips(id),
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    details_json TEXT NOT NULL,
    payload_json TEXT,
    signature TEXT,
    sent_at TEXT,
    UNIQUE (clip_id, kind, at)
);
CREATE INDEX IF NOT EXISTS custody_unsent ON custody_events(clip_id) WHERE sent_at IS NULL;
"""
RELEASE_KINDS = {
    "delete": Kind.CAMERA_COPY_DELETED,
    "move": Kind.CAMERA_COPY_MOVED,
    "keep": Kind.CAMERA_COPY_KEPT,
}


@dataclass(frozen=True)
class CustodyEvent:
    seq: int
    clip_id: int
    kind: str
    at: str
    details: dict
    payload: dict | None  # set once sealed
    signature: str | None
    sent_at: str | None


def _json_field(fields: dict, name: str) -> dict:
    value = fields.get(name)
    if isinstance(value, str):
        return json.loads(value)
    return value or {}


def transition_events(from_state: str, to_state: str, fields: dict) -> list[tuple[Kind, dict]]:
    """The custody events a journal transition records (none for most same-state updates)."""
    if to_state == ClipState.QUARANTINED and from_state != to_state:
        return [(Kind.QUARANTINED, {"reason": fields.get("quarantine_reason")})]
    if (from_state, to_state) == (ClipState.DISCOVERED, ClipState.SPOOLED):
        manifest = _json_field(fields, "manifest_json")
        return [(Kind.COPY_FINISHED, {"sha256": fields.get("sha256"), "size": manifest.get("size")})]
    if (from_state, to_state) == (ClipState.SPOOLED, ClipState.REGISTERED):
        return [(Kind.REGISTERED, {"server_clip_id": fields.get("server_clip_id")})]
    if (from_state, to_state) == (ClipState.UPLOADED, ClipState.SPOOLED):
        return [(Kind.UPLOAD_REFUSED, {"reason": fields.get("error")})]
    if (from_state, to_state) == (ClipState.UPLOADED, ClipState.RECEIPTED):
        signed = _json_field(fields, "receipt_json")
        body = signed.get("receipt") or {}
        return [
            (
                Kind.RECEIPT_RECEIVED,
                {
                    "server_clip_id": body.get("clip_id"),
                    "sha256": body.get("sha256"),
                    "receipt_signature": signed.get("signature"),
                },
            )
        ]
    if (from_state, to_state) == (ClipState.RECEIPTED, ClipState.RELEASED):
        action, _, reason = str(fields.get("release_action") or "").partition(": ")
        kind = RELEASE_KINDS.get(action)
        return [] if kind is None else [(kind, {"reason": reason})]
    return []


def insert(db: sqlite3.Connection, clip_id: int, events: Iterable[tuple[str, str, dict]]) -> None:
    """Add (kind, at, details) rows inside the caller's transaction; a repeat of one is ignored."""
    for kind, at, details in events:
        db.execute(
            "INSERT INTO custody_events (clip_id, kind, at, details_json) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(clip_id, kind, at) DO NOTHING",
            (clip_id, str(kind), at, json.dumps(details, sort_keys=True, default=str)),
        )


class _Journal(Protocol):
    def custody_tx(self): ...


_COLUMNS = "seq, clip_id, kind, at, details_json, payload_json, signature, sent_at"


def _event(row: tuple) -> CustodyEvent:
    seq, clip_id, kind, at, details, payload, signature, sent_at = row
    return CustodyEvent(
        seq,
        clip_id,
        kind,
        at,
        json.loads(details),
        json.loads(payload) if payload else None,
        signature,
        sent_at,
    )


class CustodyLog:
    """Reading and updating the custody rows of one journal."""

    def __init__(self, journal: _Journal):
        self._journal = journal

    def add(self, clip_id: int, events: Iterable[tuple[str, str, dict]]) -> None:
        with self._journal.custody_tx() as db:
            insert(db, clip_id, events)

    def events(self, clip_id: int) -> list[CustodyEvent]:
        with self._journal.custody_tx() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM custody_events WHERE clip_id = ? ORDER BY seq", (clip_id,)
            ).fetchall()
        return [_event(r) for r in rows]

    def clips_with_unsent(self, states: Iterable[str]) -> list[int]:
        """Clips in `states` (receipted or released) with events the server has not acknowledged."""
        states = list(states)
        with self._journal.custody_tx() as db:
            rows = db.execute(
                "SELECT DISTINCT e.clip_id FROM custody_events e JOIN clips c ON c.id = e.clip_id "
                f"WHERE e.sent_at IS NULL AND c.state IN ({', '.join('?' * len(states))}) ORDER BY e.clip_id",
                states,
            ).fetchall()
        return [r[0] for r in rows]

    def seal(self, seq: int, payload: dict, signature: str) -> None:
        """Store the signed payload once; a sealed event is never signed again."""
        with self._journal.custody_tx() as db:
            db.execute(
                "UPDATE custody_events SET payload_json = ?, signature = ? "
                "WHERE seq = ? AND payload_json IS NULL",
                (json.dumps(payload, sort_keys=True), signature, seq),
            )

    def mark_sent(self, seqs: Iterable[int], at: str) -> None:
        seqs = list(seqs)
        with self._journal.custody_tx() as db:
            db.executemany(
                "UPDATE custody_events SET sent_at = ? WHERE seq = ? AND sent_at IS NULL",
                [(at, s) for s in seqs],
            )
