"""Who may do what: the one authorization table and its checker.

Every rule about a role lives here, for the JSON API, the console and the review
portal alike: the API's route guards (deps.py `require`), the console's page
checks (portal/deps.py `allow`), console sign-in (portal/signin.py), the links
shown on console pages (templates call `may`) and "a trooper sees only own clips"
(clips/service.py). A denial is a `Denied` carrying the role and what it may not
do; the edges translate it: the API into 403 JSON, the portal into its error page.
Both record the denial's note on the request so the audit event names the reason.

Who may download an original: `clips.download` below (admin, custodian, trooper,
the trooper only for own clips); a prosecutor only through a share link that
allows downloads (shares/service.py decides per share).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ingest_server.auth.roles import Role

ADMIN, CUSTODIAN, AUDITOR, TROOPER, PROSECUTOR, DEVICE = (
    Role.ADMIN,
    Role.CUSTODIAN,
    Role.AUDITOR,
    Role.TROOPER,
    Role.PROSECUTOR,
    Role.DEVICE,
)


class Permission(StrEnum):
    UPLOAD = "upload"
    CLIPS_SEARCH = "clips.search"
    CLIPS_READ = "clips.read"
    CLIPS_DOWNLOAD = "clips.download"  # the original, through the API or the console's player
    AUDIT_READ = "audit.read"
    ADMIN = "admin"
    ME = "me"
    CONSOLE_SIGN_IN = "console.sign_in"
    SHARES_MANAGE = "shares.manage"
    RECORDS_READ = "records.read"  # reports, links, holds, retention
    RECORDS_CHANGE = "records.change"
    RETENTION_APPROVE = "retention.approve"
    STATS_READ = "stats.read"
    ALIGNMENT_DECIDE = "alignment.decide"  # accept or reject an audio alignment of two clips
    REDACTION_MANAGE = "redaction.manage"  # start, review and approve redacted copies; records requests
    RELEASE_APPROVE = "release.approve"  # the second custodian's approval of a public release
    DERIVED_READ = "derived.read"  # derived copies (redacted, signed) and their provenance records
    RECORDS_REQUESTS_READ = "records_requests.read"  # public records requests, their due times


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    action: str  # what a denied caller "may not" do, in words


# permission -> who may, and what a denial says
TABLE: dict[Permission, Rule] = {
    Permission.UPLOAD: Rule(frozenset({DEVICE}), "upload"),
    Permission.CLIPS_SEARCH: Rule(frozenset({ADMIN, CUSTODIAN, AUDITOR, TROOPER}), "clips.search"),
    Permission.CLIPS_READ: Rule(frozenset({ADMIN, CUSTODIAN, AUDITOR, TROOPER}), "clips.read"),
    Permission.CLIPS_DOWNLOAD: Rule(frozenset({ADMIN, CUSTODIAN, TROOPER}), "clips.download"),
    Permission.AUDIT_READ: Rule(frozenset({ADMIN, AUDITOR, CUSTODIAN}), "audit.read"),
    Permission.ADMIN: Rule(frozenset({ADMIN}), "admin"),
    Permission.ME: Rule(frozenset(Role), "me"),
    # prosecutors review through share links; devices never sign in to the console
    Permission.CONSOLE_SIGN_IN: Rule(frozenset({ADMIN, CUSTODIAN, AUDITOR, TROOPER}), "use the console"),
    Permission.SHARES_MANAGE: Rule(frozenset({ADMIN, CUSTODIAN}), "shares.manage"),
    Permission.RECORDS_READ: Rule(
        frozenset({ADMIN, CUSTODIAN, AUDITOR}), "read reports, links, holds or retention"
    ),
    Permission.RECORDS_CHANGE: Rule(
        frozenset({ADMIN, CUSTODIAN}), "change reports, links, holds or retention"
    ),
    # the retention rule: a second, different custodian (checked by retention.approval_state)
    Permission.RETENTION_APPROVE: Rule(frozenset({CUSTODIAN}), "approve a retention change"),
    Permission.REDACTION_MANAGE: Rule(
        frozenset({ADMIN, CUSTODIAN}), "redact clips or handle public records requests"
    ),
    # a second custodian, different from the one who requested or approved the copy (derived/service.py)
    Permission.RELEASE_APPROVE: Rule(frozenset({CUSTODIAN}), "approve a public release"),
    # read-only: who made what from which original, and when a request is due (auditors check both)
    Permission.DERIVED_READ: Rule(
        frozenset({ADMIN, CUSTODIAN, AUDITOR}), "read derived copies or their provenance"
    ),
    Permission.RECORDS_REQUESTS_READ: Rule(
        frozenset({ADMIN, CUSTODIAN, AUDITOR}), "read public records requests"
    ),
    Permission.STATS_READ: Rule(
        frozenset({ADMIN, CUSTODIAN, AUDITOR, TROOPER, PROSECUTOR}), "read statistics"
    ),
    # only accepted alignments move a report's timeline: a custodian's judgement
    Permission.ALIGNMENT_DECIDE: Rule(frozenset({CUSTODIAN}), "accept or reject an alignment"),
}

# roles that only ever see their own clips (officer id matches)
OWN_CLIPS_ONLY = frozenset({TROOPER})


class Denied(Exception):
    """A role may not do something. No HTTP status: the API and the portal each translate it."""

    def __init__(self, role: Role, permission: Permission, action: str) -> None:
        super().__init__(f"role '{role.value}' may not {action}")
        self.role, self.permission, self.action = role, permission, action

    @property
    def note(self) -> str:
        """For the audit event of the refused request."""
        return f"role {self.role.value} may not {self.action}"


def may(role: Role, permission: Permission | str) -> bool:
    return role in TABLE[Permission(permission)].roles


def check(role: Role, permission: Permission | str, *, action: str | None = None) -> None:
    """Raise `Denied` unless `role` has `permission`; `action` overrides the words of the denial."""
    rule = TABLE[Permission(permission)]
    if role not in rule.roles:
        raise Denied(role, Permission(permission), action or rule.action)
