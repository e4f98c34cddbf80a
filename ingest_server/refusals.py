"""Why a service refuses: the kind of refusal, never an HTTP status.

Every service error (`UploadRefused`, `ReportError`, `LinkError`, `HoldError`,
`ChangeError`) is a `Refused` with a `Why` and a message a person can act on.
The edges translate: the JSON API (errors.py `HTTP_STATUS`) into 403/404/409/413/422,
the portal into its error page with the same status.
"""

from __future__ import annotations

from enum import StrEnum


class Why(StrEnum):
    NOT_FOUND = "not found"
    CONFLICT = "conflict"  # the state of things forbids it now (already linked, stored, decided...)
    INVALID = "invalid"  # the request itself is wrong
    TOO_LARGE = "too large"  # above a configured limit
    FORBIDDEN = "forbidden"  # not this caller's object (e.g. another device's clip)
    BROKEN = "broken"  # the server is misconfigured (e.g. no applier for a change kind)


class Refused(Exception):
    """A refusal by a service, with why and the words for the caller."""

    def __init__(self, why: Why, message: str) -> None:
        super().__init__(message)
        self.why = why
