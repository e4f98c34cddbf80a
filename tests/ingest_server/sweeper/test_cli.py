"""`evidence-server retention sweep [--dry-run]` and `fixity check [--sample]`
against a real database and store (the clock is the real one here: the clip was
stored in 2010, so its one unclassified year is long past)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ingest_server.cli import app as cli_app
from tests.ingest_server.records_helpers import upload_at
from tests.support.clock import START

# The server's clock travels years here (from 2010): on moto, see the time_travel marker.
pytestmark = pytest.mark.time_travel


@pytest.fixture
def env(ctx, monkeypatch):
    s = ctx.settings
    for name, value in {
        "DATABASE_URL": s.db_url,
        "DATA_DIR": str(s.data_dir),
        "S3_ENDPOINT_URL": s.s3_endpoint_url,
        "S3_BUCKET": s.s3_bucket,
        "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(f"EVIDENCE_SERVER_{name}", value)


def _run(*args):
    return CliRunner().invoke(cli_app, list(args))


def test_sweep_dry_run_then_sweep_then_fixity(client, ctx, people, clock, env):
    device = people.auth("device")
    old = upload_at(client, device, START, seed=1)
    clock.set(START + __import__("datetime").timedelta(days=30))
    hold = client.post(
        "/api/v1/holds",
        headers=people.auth("custodian"),
        json={"clip_id": upload_at(client, device, START, seed=2), "matter": "m", "reason": "r"},
    )
    assert hold.status_code == 201

    dry = _run("retention", "sweep", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would delete clip {old}" in dry.output and "1 planned" in dry.output and "dry run" in dry.output
    checked = _run("fixity", "check", "--sample", "1")
    assert checked.exit_code == 0 and "2 checked, 2 intact, 0 mismatched" in checked.output

    swept = _run("retention", "sweep")
    assert swept.exit_code == 0 and f"deleted clip {old}" in swept.output and "1 deleted" in swept.output
    assert "0 planned" in _run("retention", "sweep").output
    assert _run("fixity", "check", "--sample", "0").exit_code == 2
    after = _run("fixity", "check")
    assert after.exit_code == 0 and "1 checked" in after.output  # the deleted clip is no longer checked
