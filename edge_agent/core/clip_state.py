"""A clip's state on the car, one enum for the journal, the steps and the reports.

The life of a clip: DISCOVERED -> SPOOLED (offload or capture) -> REGISTERED ->
UPLOADED -> RECEIPTED (upload) -> RELEASED (release), plus QUARANTINED with a
reason. The values are the strings the SQLite journal has always stored, so a
journal written before the enum existed opens unchanged; `ClipState` is a
`StrEnum`, so a row's state compares equal to its member.
"""

from __future__ import annotations

from enum import StrEnum


class ClipState(StrEnum):
    DISCOVERED = "DISCOVERED"
    SPOOLED = "SPOOLED"
    REGISTERED = "REGISTERED"
    UPLOADED = "UPLOADED"
    RECEIPTED = "RECEIPTED"
    RELEASED = "RELEASED"
    QUARANTINED = "QUARANTINED"


STATES: tuple[str, ...] = tuple(s.value for s in ClipState)
# The spool holds a verified copy in these states.
HELD_STATES = (
    ClipState.SPOOLED,
    ClipState.REGISTERED,
    ClipState.UPLOADED,
    ClipState.RECEIPTED,
    ClipState.RELEASED,
)
# Spooled but not yet receipted: the uploader's work.
UPLOAD_PENDING = (ClipState.SPOOLED, ClipState.REGISTERED, ClipState.UPLOADED)
