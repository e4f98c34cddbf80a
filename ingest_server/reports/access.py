"""Who may read and change reports, links, holds and retention.

Custodians (and admins) change; auditors read; troopers, prosecutors and devices
change nothing here. Approving a shortening is for custodians only (the retention
rule: a second, different custodian). Denials are 403 and, like every request,
land in the audit log with the reason (the audit middleware records them).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from ingest_server.auth.roles import Role
from ingest_server.auth.service import Principal
from ingest_server.deps import AUTH_NOTE_KEY, authenticate

WRITE = frozenset({Role.CUSTODIAN, Role.ADMIN})
READ = frozenset({Role.CUSTODIAN, Role.ADMIN, Role.AUDITOR})
APPROVE = frozenset({Role.CUSTODIAN})
STATS = frozenset({Role.CUSTODIAN, Role.ADMIN, Role.AUDITOR, Role.TROOPER, Role.PROSECUTOR})


def allow(action: str, roles: frozenset[Role]):
    def guard(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in roles:
            request.scope[AUTH_NOTE_KEY] = f"role {principal.role.value} may not {action}"
            raise HTTPException(403, f"forbidden: role '{principal.role.value}' may not {action}")
        return principal

    return guard


Writer = Annotated[Principal, Depends(allow("change reports, links, holds or retention", WRITE))]
Reader = Annotated[Principal, Depends(allow("read reports, links, holds or retention", READ))]
Approver = Annotated[Principal, Depends(allow("approve a retention change", APPROVE))]
StatsReader = Annotated[Principal, Depends(allow("read statistics", STATS))]
