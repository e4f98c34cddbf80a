"""Report schemas: the POSTC use-of-force form as the API takes and shows it.

One `SubjectEntry` per person subjected to force (or a victim or witness named on
the report). Force types are the POSTC list (Use of Force Policy, Nov 2020, §10;
CGS 7-282e). Create, Update and Public are separate, as the style asks.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ingest_server.schemas_common import Id64, When, text


class ForceType(StrEnum):
    STRIKE = "strike"
    OC_SPRAY = "oc_spray"
    CEW = "cew"
    LESS_LETHAL_PROJECTILE = "less_lethal_projectile"
    CHOKEHOLD_NECK_RESTRAINT = "chokehold_neck_restraint"
    POINTING_FIREARM_LAUNCHER_CEW = "pointing_firearm_launcher_cew"
    FIREARM_DISCHARGE = "firearm_discharge"
    K9 = "k9"
    OTHER = "other"


class PersonRole(StrEnum):
    SUBJECT = "subject"
    VICTIM = "victim"
    WITNESS = "witness"


class AgeGroup(StrEnum):
    UNDER_18 = "under_18"
    A18_24 = "18_24"
    A25_34 = "25_34"
    A35_44 = "35_44"
    A45_54 = "45_54"
    A55_64 = "55_64"
    A65_PLUS = "65_plus"
    UNKNOWN = "unknown"


class Status(StrEnum):
    OPEN = "open"
    UNDER_REVIEW = "under_review"
    CLOSED = "closed"


# letters, digits, '-' and '_' only: a report number becomes part of file and package names
NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


class SubjectEntry(BaseModel):
    """One person on the report. `name` and `identifier` identify them; the OPM
    export removes them (and scrubs them from free text) for minors, victims and witnesses."""

    model_config = ConfigDict(extra="forbid")

    role: PersonRole = PersonRole.SUBJECT
    name: text(200) = ""
    identifier: text(100) = Field("", description="e.g. date of birth, licence or local person number")
    race: text(64) = "unknown"
    ethnicity: text(64) = "unknown"
    gender: text(32) = "unknown"
    age_group: AgeGroup = AgeGroup.UNKNOWN
    minor: bool = False
    injured: bool = False
    injuries: text(1000) = ""
    force_types: list[ForceType] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _minor_from_age(self) -> SubjectEntry:
        if self.age_group is AgeGroup.UNDER_18:
            self.minor = True
        return self


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _window(self):
        start, end = getattr(self, "incident_start", None), getattr(self, "incident_end", None)
        if start is not None and end is not None and end < start:
            raise ValueError("incident_end is before incident_start")
        closed = getattr(self, "closed_at", None)
        if closed is not None and getattr(self, "status", None) not in (None, Status.CLOSED):
            raise ValueError("closed_at is only for status 'closed'")
        return self


class ReportCreate(_Body):
    number: str = Field(pattern=NUMBER_PATTERN, description="The report id, e.g. UOF-2026-0042")
    incident_start: When
    incident_end: When
    town: text(100, 1)
    location: text(300) = ""
    description: text(20_000) = ""
    status: Status = Status.OPEN
    closed_at: When | None = None
    officers: list[Id64] = Field(default_factory=list, max_length=200, description="badge ids")
    vehicles: list[Id64] = Field(default_factory=list, max_length=200)
    force_types: list[ForceType] = Field(min_length=1, max_length=20)
    subjects: list[SubjectEntry] = Field(default_factory=list, max_length=200)
    inspector_general: bool = Field(
        False, description="deadly force or a death: the Inspector General investigates"
    )


class ReportUpdate(_Body):
    """Only the fields sent change. Closing a report with linked clips shortens
    their retention and waits for a second custodian."""

    incident_start: When | None = None
    incident_end: When | None = None
    town: text(100, 1) | None = None
    location: text(300) | None = None
    description: text(20_000) | None = None
    status: Status | None = None
    closed_at: When | None = None
    officers: list[Id64] | None = Field(None, max_length=200)
    vehicles: list[Id64] | None = Field(None, max_length=200)
    force_types: list[ForceType] | None = Field(None, min_length=1, max_length=20)
    subjects: list[SubjectEntry] | None = Field(None, max_length=200)
    inspector_general: bool | None = None
    reason: text(1000) = Field("", description="why (required, not blank); kept in the audit log")


class LinkPublic(BaseModel):
    clip_id: str
    report_id: str
    report_number: str
    origin: str = Field(description="auto or manual")
    reason: str
    linked_by: str
    linked_at: datetime
    unlinked_at: datetime | None
    unlinked_by: str | None
    unlink_reason: str | None


class ReportPublic(BaseModel):
    id: str
    number: str
    incident_start: datetime
    incident_end: datetime
    town: str
    location: str
    description: str
    status: Status
    closed_at: datetime | None
    officers: list[str]
    vehicles: list[str]
    force_types: list[ForceType]
    subjects: list[SubjectEntry]
    inspector_general: bool
    ig_released_by: list[str]
    revision: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class ReportPage(BaseModel):
    items: list[ReportPublic]
    total: int
    limit: int
    offset: int


def link_public(link, report) -> LinkPublic:
    """A link row and its report, as the API shows it."""
    return LinkPublic(
        clip_id=link.clip_id,
        report_id=report.id,
        report_number=report.number,
        origin=link.origin,
        reason=link.reason,
        linked_by=link.linked_by,
        linked_at=link.linked_at,
        unlinked_at=link.unlinked_at,
        unlinked_by=link.unlinked_by,
        unlink_reason=link.unlink_reason,
    )
