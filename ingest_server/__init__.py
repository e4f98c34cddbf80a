"""Ingest server: where a clip becomes evidence.

Devices register a manifest, upload parts straight to the S3-compatible store
through presigned URLs bound to each part's SHA-256, and complete; the server
checks size and composite checksum from the store against the manifest, locks
the object, indexes it and returns an Ed25519-signed receipt. Every access lands
in a hash-chained audit log. `create_app(settings)` builds the FastAPI app.

Both names load on first use, so `import ingest_server.<module>` (every
`evidence-server` command) does not pull in the web app and all it imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest_server.app import create_app
    from ingest_server.settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from ingest_server.app import create_app

        return create_app
    if name == "Settings":
        from ingest_server.settings import Settings

        return Settings
    raise AttributeError(f"module 'ingest_server' has no attribute {name!r}")
