"""Ingest server: where a clip becomes evidence.

Devices register a manifest, upload parts straight to the S3-compatible store
through presigned URLs bound to each part's SHA-256, and complete; the server
checks size and composite checksum from the store against the manifest, locks
the object, indexes it and returns an Ed25519-signed receipt. Every access lands
in a hash-chained audit log. `create_app(settings)` builds the FastAPI app.
"""

from ingest_server.app import create_app
from ingest_server.settings import Settings

__all__ = ["Settings", "create_app"]
