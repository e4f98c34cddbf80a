"""The ETags of parts the store has accepted, per upload, beside the journal.

Written after each part's PUT succeeds, so a restarted agent re-sends only
parts it has no ETag for (the server's "present" list alone cannot give the
ETags that completion needs). Same SQLite file as the journal, own table.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS upload_parts (
    clip_id INTEGER NOT NULL,
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    etag TEXT NOT NULL,
    PRIMARY KEY (clip_id, upload_id, part_number)
);
"""


class PartLedger:
    def __init__(self, path: Path):
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def record(self, clip_id: int, upload_id: str, part_number: int, etag: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO upload_parts VALUES (?, ?, ?, ?)",
                (clip_id, upload_id, part_number, etag),
            )

    def etags(self, clip_id: int, upload_id: str) -> dict[int, str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT part_number, etag FROM upload_parts WHERE clip_id = ? AND upload_id = ?",
                (clip_id, upload_id),
            ).fetchall()
        return dict(rows)

    def forget(self, clip_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM upload_parts WHERE clip_id = ?", (clip_id,))

    def close(self) -> None:
        self._db.close()
