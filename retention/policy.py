"""The retention policy file: categories, their periods and the law behind each.

A policy is a TOML file (the shipped default is `retention/policy.toml`) read into
a strict pydantic model. Unknown keys are errors, every field has a title and a
description, every category cites its source, and no period is under the 90-day
floor (POST's 2015 policy asks at least 90 days for every recording).
`load_policy` turns every problem into one `PolicyError` naming the file and the
field (`categories.non_evidentiary.days: ...`). Reading the file is the only I/O
of the `retention` package.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

FLOOR_DAYS = 90
FLOOR_SOURCE = "POST 2015 policy, at least 90 days for every recording"
DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.toml")

CategoryName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class PolicyError(ValueError):
    """A policy file cannot be read or breaks the schema. `problems` lists (field, message)."""

    def __init__(self, origin: str, problems: list[tuple[str, str]]):
        self.origin = origin
        self.problems = problems
        lines = [f"{field}: {message}" if field else message for field, message in problems]
        super().__init__(f"{origin}: invalid retention policy:\n  " + "\n  ".join(lines))


class Kind(StrEnum):
    FIXED = "fixed"  # a period counted from the clip's recording/storage
    AFTER_REPORT_CLOSES = (
        "after_report_closes"  # while a linked report is open, then a period after it closes
    )
    UNTIL_RELEASED = "until_released"  # until enough different custodians release it
    INDEFINITE = "indefinite"  # as long as the category is on the clip


_DATED = (Kind.FIXED, Kind.AFTER_REPORT_CLOSES)


def add_years(start: datetime, years: int) -> datetime:
    """Same date `years` later; 29 February goes to 1 March, never a day short."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, month=3, day=1)


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, title="Title", description="The name custodians see.")
    kind: Kind = Field(
        title="Kind",
        description="fixed | after_report_closes | until_released | indefinite: what the period runs from.",
    )
    days: int | None = Field(
        default=None,
        title="Days",
        description="Period in days (fixed / after_report_closes; not with years).",
    )
    years: int | None = Field(
        default=None,
        ge=1,
        title="Years",
        description="Period in calendar years (fixed / after_report_closes; not with days).",
    )
    releases_required: int | None = Field(
        default=None,
        ge=2,
        title="Releases required",
        description="until_released only: how many different custodians must release it (at least 2).",
    )
    source: str = Field(
        title="Source",
        description="The law, policy or finding behind this period, e.g. 'POST 2015 policy, ...'.",
    )

    @field_validator("days")
    @classmethod
    def _floor(cls, days: int | None) -> int | None:
        if days is not None and days < FLOOR_DAYS:
            raise ValueError(f"{days} days is under the {FLOOR_DAYS}-day floor ({FLOOR_SOURCE})")
        return days

    @field_validator("source")
    @classmethod
    def _cited(cls, source: str) -> str:
        if not source.strip():
            raise ValueError("every category must cite its source (law, policy or audit finding)")
        return source.strip()

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> Category:
        if self.kind in _DATED:
            if (self.days is None) == (self.years is None):
                raise ValueError(f"kind {self.kind.value!r} needs exactly one of `days` or `years`")
        elif self.days is not None or self.years is not None:
            raise ValueError(f"kind {self.kind.value!r} takes no `days` or `years`")
        if self.kind is Kind.UNTIL_RELEASED:
            if self.releases_required is None:
                object.__setattr__(self, "releases_required", 2)
        elif self.releases_required is not None:
            raise ValueError("`releases_required` is only for kind 'until_released'")
        return self

    def period_end(self, start: datetime) -> datetime:
        """End of this category's period counted from `start` (dated kinds only)."""
        if self.years is not None:
            return add_years(start, self.years)
        if self.days is not None:
            return start + timedelta(days=self.days)
        raise ValueError(f"kind {self.kind.value!r} has no period")

    @property
    def period_text(self) -> str:
        if self.years is not None:
            return f"{self.years} year{'s' if self.years != 1 else ''}"
        return f"{self.days} days" if self.days is not None else ""

    @property
    def rule_text(self) -> str:
        period = self.period_text
        return {
            Kind.FIXED: f"{period} from recording (or storage, if later)",
            Kind.AFTER_REPORT_CLOSES: f"while a linked report is open, then {period} after it closes",
            Kind.UNTIL_RELEASED: f"until released by {self.releases_required} different custodians",
            Kind.INDEFINITE: "while the category is on the clip",
        }[self.kind]


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(
        min_length=1, title="Version", description="Recorded in every decision and deletion certificate."
    )
    default_category: CategoryName = Field(
        title="Default category",
        description="Applied to a clip nobody has categorized (never 'non-evidence').",
    )
    report_category: CategoryName = Field(
        title="Report category",
        description="Applied to every clip linked to a use-of-force report, whatever its own categories.",
    )
    inspector_general_category: CategoryName = Field(
        title="Inspector General category",
        description="Applied to every clip linked to a report the Inspector General investigates.",
    )
    categories: dict[CategoryName, Category] = Field(
        min_length=1, title="Categories", description="Category name -> its rule and source."
    )

    @model_validator(mode="after")
    def _references_exist(self) -> Policy:
        wanted = {
            "default_category": (self.default_category, None),
            "report_category": (self.report_category, Kind.AFTER_REPORT_CLOSES),
            "inspector_general_category": (self.inspector_general_category, Kind.UNTIL_RELEASED),
        }
        for field, (name, kind) in wanted.items():
            if name not in self.categories:
                raise ValueError(f"{field}: {name!r} is not one of the categories {sorted(self.categories)}")
            if kind is not None and self.categories[name].kind is not kind:
                raise ValueError(f"{field}: category {name!r} must have kind {kind.value!r}")
        return self


def _problems(error: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (not in the policy schema; check the spelling)"
        elif item["type"] == "missing":
            message = "required field is missing"
        problems.append((field, message))
    return problems


def parse_policy(data: dict[str, Any], origin: str = "<policy>") -> Policy:
    """Validate already-parsed TOML data; raise `PolicyError` naming each bad field."""
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        raise PolicyError(origin, _problems(error)) from None


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy file (default: the shipped `retention/policy.toml`)."""
    path = Path(path) if path is not None else DEFAULT_POLICY_PATH
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise PolicyError(str(path), [("", f"cannot read the policy file: {error.strerror}")]) from None
    except UnicodeDecodeError as error:
        raise PolicyError(str(path), [("", f"not UTF-8 text: {error}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(str(path), [("", f"not valid TOML: {error}")]) from None
    return parse_policy(data, origin=str(path))
