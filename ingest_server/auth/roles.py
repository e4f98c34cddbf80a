"""The roles. What each may do is in one table: auth/permissions.py.

device: register and upload its own clips, nothing else.
trooper: read own clips (officer id matches). prosecutor: reviews through share links only.
auditor: read clips' metadata and the audit log, change nothing. custodian: read, download
(category changes go through the retention API). admin: everything, including enrolling users and devices.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CUSTODIAN = "custodian"
    AUDITOR = "auditor"
    TROOPER = "trooper"
    PROSECUTOR = "prosecutor"
    DEVICE = "device"


USER_ROLES = tuple(r for r in Role if r is not Role.DEVICE)
