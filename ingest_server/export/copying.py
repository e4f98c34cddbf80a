"""One stored version streamed into a package file, hashed as it is written (originals and sidecars)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ingest_server.storage import Storage


def copy_hashed(storage: Storage, key: str, version_id: str | None, target: Path) -> tuple[str, int]:
    """(SHA-256 hex, bytes written) of what the store returned; the caller compares them with the index."""
    digest, size = hashlib.sha256(), 0
    chunks, _ = storage.read(key, version_id)
    with open(target, "wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return digest.hexdigest(), size
