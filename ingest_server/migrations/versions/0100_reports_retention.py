"""use-of-force reports, clip links, legal holds, retention state, change requests,
deletion certificates, job leases, fixity results; search indexes on clips

Revision ID: 0100
Revises: 0002
Create Date: 2026-11-24

No foreign key points at clips, users or devices: those tables belong to the
upload side, which truncates them in its tests; clip rows are never deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0100"
down_revision = "0002"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "uof_reports",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("number", sa.String(64), nullable=False, unique=True),
        _when("incident_start", False),
        _when("incident_end", False),
        sa.Column("town", sa.String(100), nullable=False),
        sa.Column("location", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _when("closed_at"),
        sa.Column("inspector_general", sa.Boolean(), nullable=False),
        sa.Column("ig_released_by_json", sa.Text(), nullable=False),
        sa.Column("officers_json", sa.Text(), nullable=False),
        sa.Column("vehicles_json", sa.Text(), nullable=False),
        sa.Column("force_types_json", sa.Text(), nullable=False),
        sa.Column("subjects_json", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _when("created_at", False),
        _when("updated_at", False),
    )
    op.create_index("ix_uof_reports_incident_start", "uof_reports", ["incident_start"])
    op.create_index("ix_uof_reports_town", "uof_reports", ["town"])
    op.create_index("ix_uof_reports_status", "uof_reports", ["status"])
    op.create_table(
        "uof_report_members",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "report_id", sa.String(32), sa.ForeignKey("uof_reports.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
    )
    op.create_index("ix_uof_report_members_report_id", "uof_report_members", ["report_id"])
    op.create_index("ix_uof_report_members_kind_value", "uof_report_members", ["kind", "value"])
    op.create_table(
        "clip_report_links",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("clip_id", sa.String(32), nullable=False),
        sa.Column("report_id", sa.String(32), sa.ForeignKey("uof_reports.id"), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("linked_by", sa.String(200), nullable=False),
        _when("linked_at", False),
        _when("unlinked_at"),
        sa.Column("unlinked_by", sa.String(200)),
        sa.Column("unlink_reason", sa.Text()),
    )
    op.create_index("ix_clip_report_links_clip_id", "clip_report_links", ["clip_id"])
    op.create_index("ix_clip_report_links_report_id", "clip_report_links", ["report_id"])
    op.create_index("ix_clip_report_links_pair", "clip_report_links", ["clip_id", "report_id"])
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("clip_id", sa.String(32), nullable=False),
        sa.Column("matter", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(200), nullable=False),
        _when("placed_at", False),
        _when("released_at"),
        sa.Column("released_by", sa.String(200)),
        sa.Column("release_reason", sa.Text()),
    )
    op.create_index("ix_legal_holds_clip_id", "legal_holds", ["clip_id"])
    op.create_table(
        "clip_retention",
        sa.Column("clip_id", sa.String(32), primary_key=True),
        _when("retain_until"),
        _when("retain_at_least_until", False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("deletable", sa.Boolean(), nullable=False),
        sa.Column("categories_json", sa.Text(), nullable=False),
        sa.Column("reasons_json", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.String(100), nullable=False),
        _when("decided_at", False),
        _when("store_retain_until"),
        sa.Column("store_legal_hold", sa.Boolean(), nullable=False),
        _when("deleted_at"),
    )
    op.create_index("ix_clip_retention_retain_until", "clip_retention", ["retain_until"])
    op.create_index("ix_clip_retention_deleted_at", "clip_retention", ["deleted_at"])
    op.create_table(
        "retention_policies",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("toml_text", sa.Text(), nullable=False),
        _when("activated_at", False),
        sa.Column("activated_by", sa.String(200), nullable=False),
        sa.Column("approvals_json", sa.Text(), nullable=False),
    )
    op.create_table(
        "retention_change_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("dry_run_json", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_by_id", sa.String(32), nullable=False),
        _when("requested_at", False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("approvals_json", sa.Text(), nullable=False),
        _when("decided_at"),
    )
    op.create_index("ix_retention_change_requests_status", "retention_change_requests", ["status"])
    op.create_table(
        "deletion_certificates",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("clip_id", sa.String(32), nullable=False, unique=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("categories_json", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.String(100), nullable=False),
        sa.Column("approvals_json", sa.Text(), nullable=False),
        sa.Column("reasons_json", sa.Text(), nullable=False),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("version_id", sa.String(1024)),
        sa.Column("certificate_key", sa.String(1024), nullable=False),
        sa.Column("certificate_version_id", sa.String(1024)),
        _when("deleted_at", False),
        sa.Column("deleted_by", sa.String(200), nullable=False),
        sa.Column("body_json", sa.Text(), nullable=False),
    )
    op.create_index("ix_deletion_certificates_sha256", "deletion_certificates", ["sha256"])
    leases = op.create_table(
        "job_leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(200)),
        _when("expires_at"),
    )
    op.bulk_insert(leases, [{"name": "retention-sweep", "holder": None, "expires_at": None}])
    op.create_table(
        "fixity_results",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("clip_id", sa.String(32), nullable=False),
        _when("checked_at", False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("expected_sha256", sa.String(64), nullable=False),
        sa.Column("actual_sha256", sa.String(64)),
        sa.Column("problem", sa.Text()),
    )
    op.create_index("ix_fixity_results_run_id", "fixity_results", ["run_id"])
    op.create_index("ix_fixity_results_clip_id", "fixity_results", ["clip_id"])
    op.create_index("ix_fixity_results_checked_at", "fixity_results", ["checked_at"])
    # Linking and search by officer or vehicle and time: one range scan each.
    op.create_index("ix_clips_officer_start", "clips", ["officer_id", "corrected_start"])
    op.create_index("ix_clips_vehicle_start", "clips", ["vehicle_id", "corrected_start"])


def downgrade() -> None:
    op.drop_index("ix_clips_vehicle_start", "clips")
    op.drop_index("ix_clips_officer_start", "clips")
    for table in (
        "fixity_results",
        "job_leases",
        "deletion_certificates",
        "retention_change_requests",
        "retention_policies",
        "clip_retention",
        "legal_holds",
        "clip_report_links",
        "uof_report_members",
        "uof_reports",
    ):
        op.drop_table(table)
