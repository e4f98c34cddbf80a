"""Pure rules for changing retention: the store only ever extends, and a
shortening needs a second, different custodian.

- `store_retain_until(current, desired)`: the Object Lock retain-until to write;
  never earlier than what the store already has.
- `is_shortening(old, new)` (defined in facts.py, next to `Decision`, so diff.py
  can use it too): whether going from one decision to another lets the clip go
  sooner (an earlier retain-until, an end where there was none, a lower floor,
  or a legal hold lifted).
- `approval_state(change, approvals)`: `Approved`, `NeedsSecondApprover` or
  `Rejected`. A change that shortens nothing is approved as asked. A shortening
  is approved only by a custodian other than the requester; the requester's own
  approval does not count; an approval from anyone who is not a custodian, or a
  refusal by a custodian, rejects the change (it must be asked for again).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from retention.diff import PolicyDiff
from retention.facts import Decision, is_shortening, utc

APPROVER_ROLE = "custodian"


def store_retain_until(current_in_store: datetime | None, desired: datetime) -> datetime:
    """The retain-until to write to the store: `desired`, unless the store already keeps it longer."""
    current_in_store, desired = utc("current_in_store", current_in_store), utc("desired", desired)
    if current_in_store is None:
        return desired
    return max(current_in_store, desired)


@dataclass(frozen=True)
class Person:
    id: str
    role: str  # device, trooper, custodian, prosecutor, auditor, admin


@dataclass(frozen=True)
class Approval:
    by: Person
    approve: bool = True  # False: the custodian refuses the change
    note: str = ""


@dataclass(frozen=True)
class RetentionChange:
    """A requested change (category, link, report, hold or policy) and whether it shortens retention."""

    id: str
    requested_by: Person
    description: str
    shortens: bool

    @classmethod
    def for_clip(
        cls, id: str, requested_by: Person, description: str, old: Decision, new: Decision
    ) -> RetentionChange:
        return cls(id, requested_by, description, is_shortening(old, new))

    @classmethod
    def for_policy(cls, id: str, requested_by: Person, description: str, diff: PolicyDiff) -> RetentionChange:
        return cls(id, requested_by, description, diff.shortens)


@dataclass(frozen=True)
class Approved:
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class NeedsSecondApprover:
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Rejected:
    reasons: tuple[str, ...]


ApprovalState = Approved | NeedsSecondApprover | Rejected


def approval_state(change: RetentionChange, approvals: Iterable[Approval]) -> ApprovalState:
    """Where `change` stands given the approvals recorded so far."""
    if not change.shortens:
        return Approved((f"change {change.id} does not shorten retention; no second approver needed",))
    requester = change.requested_by
    refused: list[str] = []
    notes: list[str] = []
    approved_by: list[str] = []
    for approval in approvals:
        who = approval.by
        if who.role != APPROVER_ROLE:
            refused.append(f"{who.id} ({who.role}) is not a custodian and cannot approve a shortening")
        elif who.id == requester.id:
            notes.append(f"{who.id} requested the change and cannot approve it too")
        elif not approval.approve:
            refused.append(
                f"custodian {who.id} refused the change{': ' + approval.note if approval.note else ''}"
            )
        else:
            approved_by.append(who.id)
    if refused:
        return Rejected(tuple(refused + notes))
    approvers = list(dict.fromkeys(approved_by))
    if approvers:
        return Approved(
            tuple(notes)
            + (f"shortening requested by {requester.id}, approved by custodian {', '.join(approvers)}",)
        )
    return NeedsSecondApprover(
        tuple(notes) + (f"shortening requested by {requester.id} needs a second, different custodian",)
    )
