"""The 0300 migration creates exactly the tables the models describe (Alembic's own comparison)."""

from __future__ import annotations

from tests.support.migrations import model_differences

OURS = {"redactions", "derived_objects", "records_requests", "records_request_clips"}


def test_migration_matches_the_models(tmp_path):
    assert model_differences(tmp_path, OURS) == []
