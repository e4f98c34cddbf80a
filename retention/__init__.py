"""Retention: pure policy decisions for stored evidence.

Owns the policy file (categories, periods, the law behind each), the engine that
turns a clip's facts into a `Decision` (retain until when, deletable or not, and
every reason), and the pure rules the server applies: the store's retain-until
only ever grows, a shortening needs a second, different custodian, a policy
change is shown as a dry-run diff, a sweep as a plan. Standard library and
pydantic only; no database, no clock, no I/O except reading a policy file.
"""

from retention.changes import (
    APPROVER_ROLE,
    Approval,
    ApprovalState,
    Approved,
    NeedsSecondApprover,
    Person,
    Rejected,
    RetentionChange,
    approval_state,
    is_shortening,
    store_retain_until,
)
from retention.diff import CategoryChange, ClipDiff, PolicyDiff, SweepItem, diff_policies, sweep_plan
from retention.engine import decide
from retention.facts import ClipCase, ClipFacts, Decision, HoldFacts, ReportFacts, ReportStatus
from retention.policy import (
    DEFAULT_POLICY_PATH,
    FLOOR_DAYS,
    Category,
    Kind,
    Policy,
    PolicyError,
    load_policy,
    parse_policy,
)

__all__ = [
    "APPROVER_ROLE",
    "DEFAULT_POLICY_PATH",
    "FLOOR_DAYS",
    "Approval",
    "ApprovalState",
    "Approved",
    "Category",
    "CategoryChange",
    "ClipCase",
    "ClipDiff",
    "ClipFacts",
    "Decision",
    "HoldFacts",
    "Kind",
    "NeedsSecondApprover",
    "Person",
    "Policy",
    "PolicyDiff",
    "PolicyError",
    "Rejected",
    "ReportFacts",
    "ReportStatus",
    "RetentionChange",
    "SweepItem",
    "approval_state",
    "decide",
    "diff_policies",
    "is_shortening",
    "load_policy",
    "parse_policy",
    "store_retain_until",
    "sweep_plan",
]
