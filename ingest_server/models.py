"""Import every model module so the metadata is complete (Alembic, tests)."""

from __future__ import annotations


def import_all() -> None:
    from ingest_server.agent_custody import models as _agent_custody  # noqa: F401
    from ingest_server.alignment import models as _alignment  # noqa: F401
    from ingest_server.audit import models as _audit  # noqa: F401
    from ingest_server.auth import models as _auth  # noqa: F401
    from ingest_server.clips import models as _clips  # noqa: F401
    from ingest_server.derived import models as _derived  # noqa: F401
    from ingest_server.devices import models as _devices  # noqa: F401
    from ingest_server.fixity import models as _fixity  # noqa: F401
    from ingest_server.holds import models as _holds  # noqa: F401
    from ingest_server.jobs import models as _jobs  # noqa: F401
    from ingest_server.linking import models as _linking  # noqa: F401
    from ingest_server.portal import models as _portal  # noqa: F401
    from ingest_server.ratelimit import models as _ratelimit  # noqa: F401
    from ingest_server.related import models as _related  # noqa: F401
    from ingest_server.reports import models as _reports  # noqa: F401
    from ingest_server.retention_apply import models as _retention_apply  # noqa: F401
    from ingest_server.shares import models as _shares  # noqa: F401
    from ingest_server.sweeper import models as _sweeper  # noqa: F401
