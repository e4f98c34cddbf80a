"""The agent's journal: one SQLite row per clip, its state, digests and metadata.

SQLite in WAL mode with `synchronous=FULL`, on the spool volume, so a committed
state survives power loss. Callers follow "side effect first": the spool file is
written and fsynced (file and directory) before the transition that records it
commits. A schema CHECK refuses a SPOOLED (or later) row without spool path,
SHA-256 and manifest, so a half-recorded clip cannot count as spooled.

States: DISCOVERED -> SPOOLED -> REGISTERED -> UPLOADED -> RECEIPTED -> RELEASED,
plus QUARANTINED with a reason (never deleted, always reported). `transition` is
the one way to move a clip: atomic, and refused unless the clip is in the state
the caller expects. Rows are never deleted.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from edge_agent.core import custody
from edge_agent.core.clip_state import ClipState
from edge_agent.core.journal_schema import ALLOWED, COLUMNS, HELD_STATES, SCHEMA, SETTABLE, STATES, ClipRow

__all__ = ["ALLOWED", "COLUMNS", "HELD_STATES", "STATES", "ClipRow", "Journal", "JournalError", "now_iso"]


class JournalError(Exception):
    """A journal operation was refused (unknown clip, wrong state, unknown column)."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _value(column: str, value):
    if column.endswith("_json") and value is not None and not isinstance(value, str):
        return json.dumps(value, sort_keys=True, default=str)
    return value


class Journal:
    """Thread-safe handle on the journal database (one connection, one lock)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._lock:
            self._db.executescript(SCHEMA)
            self._db.executescript(custody.SCHEMA)
            have = {r[1] for r in self._db.execute("PRAGMA table_info(clips)")}
            for column in set(COLUMNS) - have:  # a journal written by an older agent
                kind = "INTEGER NOT NULL DEFAULT 0" if column == "refusals" else "TEXT"
                self._db.execute(f"ALTER TABLE clips ADD COLUMN {column} {kind}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: committed (durably: synchronous=FULL) or rolled back whole."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- writing -----------------------------------------------------------------------------

    def discover(self, rows: Iterable[dict]) -> dict[str, int]:
        """Insert DISCOVERED rows (one transaction); existing source keys are kept as they are.

        Returns {source_key: clip id} for every row given.
        """
        ids: dict[str, int] = {}
        stamp = now_iso()
        with self._tx() as db:
            for row in rows:
                fields = {k: _value(k, v) for k, v in row.items()}
                unknown = set(fields) - SETTABLE - {"source_key"}
                if unknown:
                    raise JournalError(f"unknown journal column(s): {', '.join(sorted(unknown))}")
                cols = ["state", "created_at", "updated_at", *fields]
                vals = [ClipState.DISCOVERED, stamp, stamp, *fields.values()]
                db.execute(
                    f"INSERT INTO clips ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                    "ON CONFLICT(source_key) DO NOTHING",
                    vals,
                )
                got = db.execute("SELECT id FROM clips WHERE source_key = ?", (row["source_key"],)).fetchone()
                ids[row["source_key"]] = got[0]
        return ids

    def add_spooled(self, **fields) -> int:
        """Insert a clip that is already in the spool (a closed UVC segment) as SPOOLED.

        An existing row with the same source key is returned unchanged (idempotent on restart).
        """
        stamp = now_iso()
        fields = {k: _value(k, v) for k, v in fields.items()}
        unknown = set(fields) - SETTABLE - {"source_key"}
        if unknown:
            raise JournalError(f"unknown journal column(s): {', '.join(sorted(unknown))}")
        cols = ["state", "created_at", "updated_at", *fields]
        with self._tx() as db:
            cur = db.execute(
                f"INSERT INTO clips ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                "ON CONFLICT(source_key) DO NOTHING",
                [ClipState.SPOOLED, stamp, stamp, *fields.values()],
            )
            got = db.execute("SELECT id FROM clips WHERE source_key = ?", (fields["source_key"],))
            clip_id = got.fetchone()[0]
            if cur.rowcount == 1:
                closed = {"sha256": fields.get("sha256"), "size": fields.get("size")}
                custody.insert(db, clip_id, [(custody.Kind.SEGMENT_CLOSED, stamp, closed)])
            return clip_id

    def transition(self, clip_id: int, from_state: ClipState, to_state: ClipState, **fields) -> None:
        """Move a clip from `from_state` to `to_state`, setting `fields`, in one transaction."""
        if (from_state, to_state) not in ALLOWED and from_state != to_state:
            raise JournalError(f"transition {from_state} -> {to_state} is not allowed")
        unknown = set(fields) - SETTABLE
        if unknown:
            raise JournalError(f"unknown journal column(s): {', '.join(sorted(unknown))}")
        stamp = now_iso()
        sets = ["state = ?", "updated_at = ?", *(f"{k} = ?" for k in fields)]
        vals = [to_state, stamp, *(_value(k, v) for k, v in fields.items()), clip_id, from_state]
        with self._tx() as db:
            try:
                cur = db.execute(f"UPDATE clips SET {', '.join(sets)} WHERE id = ? AND state = ?", vals)
            except sqlite3.IntegrityError as exc:
                raise JournalError(f"clip {clip_id}: {to_state} refused by the journal ({exc})") from exc
            if cur.rowcount != 1:
                row = db.execute("SELECT state FROM clips WHERE id = ?", (clip_id,)).fetchone()
                where = "does not exist" if row is None else f"is {row[0]}, not {from_state}"
                raise JournalError(f"clip {clip_id} {where}; {from_state} -> {to_state} refused")
            events = custody.transition_events(from_state, to_state, fields)
            custody.insert(db, clip_id, [(kind, stamp, details) for kind, details in events])

    # -- the custody log (core/custody.py) ----------------------------------------------------------

    def custody_tx(self):
        """The journal's transaction, for `custody.CustodyLog`."""
        return self._tx()

    @property
    def custody_log(self) -> custody.CustodyLog:
        return custody.CustodyLog(self)

    def note_failure(self, clip_id: int, error: str) -> int:
        """Count a failed attempt on a clip (its state does not change). Returns the attempt count."""
        with self._tx() as db:
            db.execute(
                "UPDATE clips SET attempts = attempts + 1, refusals = 0, error = ?, updated_at = ? "
                "WHERE id = ?",
                (error, now_iso(), clip_id),
            )
            return db.execute("SELECT attempts FROM clips WHERE id = ?", (clip_id,)).fetchone()[0]

    def note_refusal(self, clip_id: int, error: str) -> int:
        """Count a non-retryable refusal by the server (state unchanged). Returns refusals in a row."""
        with self._tx() as db:
            db.execute(
                "UPDATE clips SET attempts = attempts + 1, refusals = refusals + 1, error = ?, "
                "updated_at = ? WHERE id = ?",
                (error, now_iso(), clip_id),
            )
            return db.execute("SELECT refusals FROM clips WHERE id = ?", (clip_id,)).fetchone()[0]

    def supersede(self, device_serial: str | None, current: dict[str, str]) -> list[int]:
        """DISCOVERED rows of this device whose file now has another size/mtime point to its new row.

        `current` is {relpath: source_key} of the files just planned. The old version no
        longer exists on the camera, so there is nothing left to copy for its row: it is kept
        (rows are never deleted), marked `superseded_by`, and no longer shown as waiting."""
        done = []
        with self._tx() as db:
            stale = db.execute(
                "SELECT id, relpath, source_key FROM clips WHERE device_serial IS ? AND state = ? "
                "AND superseded_by IS NULL",
                (device_serial, ClipState.DISCOVERED),
            ).fetchall()
            for clip_id, relpath, key in stale:
                new_key = current.get(relpath)
                if new_key is None or new_key == key:
                    continue
                new_id = db.execute("SELECT id FROM clips WHERE source_key = ?", (new_key,)).fetchone()
                if new_id is None:
                    continue
                db.execute(
                    "UPDATE clips SET superseded_by = ?, error = ?, updated_at = ? WHERE id = ?",
                    (
                        new_id[0],
                        f"superseded by clip {new_id[0]}: the file changed on the camera (size or mtime)",
                        now_iso(),
                        clip_id,
                    ),
                )
                done.append(clip_id)
        return done

    def record_event(self, kind: str, message: str, path: str | None = None) -> None:
        """An error or warning for the status (kept; the status shows the latest)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO events (at, kind, message, path) VALUES (?, ?, ?, ?)",
                (now_iso(), kind, message, path),
            )

    # -- reading -----------------------------------------------------------------------------

    def _rows(self, sql: str, args: Sequence = ()) -> list[ClipRow]:
        with self._lock:
            cur = self._db.execute(f"SELECT {', '.join(COLUMNS)} FROM clips {sql}", args)
            return [ClipRow(*r) for r in cur.fetchall()]

    def get(self, clip_id: int) -> ClipRow:
        rows = self._rows("WHERE id = ?", (clip_id,))
        if not rows:
            raise JournalError(f"clip {clip_id} does not exist")
        return rows[0]

    def by_source_key(self, key: str) -> ClipRow | None:
        rows = self._rows("WHERE source_key = ?", (key,))
        return rows[0] if rows else None

    def states_by_key(self, device_serial: str | None) -> dict[str, str]:
        """{source_key: state} for one device: one query for a whole volume scan."""
        with self._lock:
            cur = self._db.execute(
                "SELECT source_key, state FROM clips WHERE device_serial IS ?", (device_serial,)
            )
            return dict(cur.fetchall())

    def clips(self, *states: str) -> list[ClipRow]:
        if not states:
            return self._rows("ORDER BY id")
        return self._rows(f"WHERE state IN ({', '.join('?' * len(states))}) ORDER BY id", states)

    def counts(self) -> dict[str, int]:
        """Clips per state; DISCOVERED rows superseded by a newer version of their file apart."""
        with self._lock:
            got = dict(self._db.execute("SELECT state, COUNT(*) FROM clips GROUP BY state").fetchall())
            superseded = self._db.execute(
                "SELECT COUNT(*) FROM clips WHERE state = ? AND superseded_by IS NOT NULL",
                (ClipState.DISCOVERED,),
            ).fetchone()[0]
        counts = {s: got.get(s, 0) for s in STATES}
        counts[ClipState.DISCOVERED] -= superseded
        counts["SUPERSEDED"] = superseded
        return counts

    def waiting(self, *states: str) -> list[ClipRow]:
        """Rows in `states` that still wait for something (superseded DISCOVERED rows left out)."""
        return [r for r in self.clips(*states) if r.superseded_by is None]

    def events(self, limit: int = 50, kinds: Sequence[str] = ()) -> list[dict]:
        where = f"WHERE kind IN ({', '.join('?' * len(kinds))})" if kinds else ""
        with self._lock:
            cur = self._db.execute(
                f"SELECT at, kind, message, path FROM events {where} ORDER BY id DESC LIMIT ?",
                (*kinds, limit),
            )
            return [dict(zip(("at", "kind", "message", "path"), r, strict=True)) for r in cur.fetchall()]

    def integrity_problems(self) -> list[str]:
        """SQLite's own check plus the journal's invariants; empty when consistent."""
        with self._lock:
            problems = [r[0] for r in self._db.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
        for row in self.clips(*HELD_STATES):
            if row.spool_removed_at:
                continue  # pruned after its receipt and the grace period (release/spool_cleanup.py)
            if row.spool_path is None or not Path(row.spool_path).is_file():
                problems.append(f"clip {row.id} is {row.state} but spool file {row.spool_path} is missing")
            elif Path(row.spool_path).stat().st_size != row.manifest["size"]:
                problems.append(f"clip {row.id}: spool file size differs from its manifest")
        return problems
