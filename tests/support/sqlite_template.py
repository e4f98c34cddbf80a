"""A migrated SQLite database per test, migrated once per test session.

`migrate.upgrade` (Alembic, every revision) costs about a second a database; most tests
only need a database at the head revision. `MigratedSqlite` runs the real
`migrate.upgrade` once into a template and gives each test a byte copy of it, made
private (0600) first as `migrate.upgrade` would. The migrations themselves are still run
per test where they are the subject (tests/ingest_server/derived/test_migration.py,
test_app.py, the server processes of the end-to-end tests).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from ingest_server import migrate
from ingest_server.private_files import private_sqlite, sqlite_path


class MigratedSqlite:
    """`url = MigratedSqlite(folder)(f"sqlite:///{tmp_path / 'evidence.sqlite3'}")`."""

    def __init__(self, folder: Path) -> None:
        self.template = Path(folder) / "template.sqlite3"
        migrate.upgrade(f"sqlite:///{self.template}")
        with sqlite3.connect(self.template) as conn:  # everything in the main file, no -wal left
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()

    def __call__(self, url: str) -> str:
        path = sqlite_path(url)
        assert path is not None and not path.exists(), f"{url}: a new SQLite file only"
        private_sqlite(url)
        shutil.copyfile(self.template, path)
        return url
