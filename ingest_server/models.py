"""Import every model module so the metadata is complete (Alembic, tests)."""

from __future__ import annotations


def import_all() -> None:
    from ingest_server.audit import models as _audit  # noqa: F401
    from ingest_server.auth import models as _auth  # noqa: F401
    from ingest_server.clips import models as _clips  # noqa: F401
    from ingest_server.devices import models as _devices  # noqa: F401
