"""Roles and what each may do. One table, read by the route guards and the docs.

device: register and upload its own clips, nothing else.
trooper: read own clips (officer id matches). prosecutor: no search (share links come later).
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

# permission -> roles allowed
PERMISSIONS: dict[str, frozenset[Role]] = {
    "upload": frozenset({Role.DEVICE}),
    "clips.search": frozenset({Role.ADMIN, Role.CUSTODIAN, Role.AUDITOR, Role.TROOPER}),
    "clips.read": frozenset({Role.ADMIN, Role.CUSTODIAN, Role.AUDITOR, Role.TROOPER}),
    "clips.download": frozenset({Role.ADMIN, Role.CUSTODIAN, Role.TROOPER}),
    "audit.read": frozenset({Role.ADMIN, Role.AUDITOR, Role.CUSTODIAN}),
    "admin": frozenset({Role.ADMIN}),
    "me": frozenset(Role),
}

# roles that only ever see their own clips
OWN_CLIPS_ONLY = frozenset({Role.TROOPER})
