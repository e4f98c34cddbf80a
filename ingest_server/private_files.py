"""The embedded server's own files are readable by its user only.

The data folder holds the SQLite database (subjects' PII, the audit chain) and
the receipt signing key; umask would leave them 0755/0644 on most systems. So
the data folder is made 0700 and a SQLite database file 0600 before SQLite
opens it (SQLite gives its -wal and -shm files the database file's mode).
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE, FILE_MODE = 0o700, 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (0700) or tighten it to 0700; parents it creates are 0700 too."""
    path = Path(path)
    for missing in reversed([p for p in (path, *path.parents) if not p.exists()]):
        missing.mkdir(mode=DIR_MODE)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600, or tighten an existing one to 0600."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        if path.stat().st_mode & 0o777 != FILE_MODE:
            path.chmod(FILE_MODE)
    return path


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///` URL, or None (in-memory, another database)."""
    if not url.startswith("sqlite:///"):
        return None
    name = url.removeprefix("sqlite:///").split("?", 1)[0]
    return None if name in ("", ":memory:") else Path(name)


def private_sqlite(url: str) -> None:
    path = sqlite_path(url)
    if path is None:
        return
    if not path.parent.exists():
        private_dir(path.parent)
    private_file(path)
