"""`evidence-server portal set-password` and `portal export`, run as a person would."""

from __future__ import annotations

import zipfile

import bagit
from typer.testing import CliRunner

from ingest_server.cli import app as cli
from tests.portal.conftest import sign_in
from tests.portal.test_shares import _share_id, make_share


def _env(monkeypatch, ctx) -> None:
    s = ctx.settings
    for key, value in {
        "DATA_DIR": s.data_dir,
        "DATABASE_URL": s.database_url,
        "S3_ENDPOINT_URL": s.s3_endpoint_url,
        "S3_BUCKET": s.s3_bucket,
        "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(f"EVIDENCE_SERVER_{key}", str(value))


def test_set_password_then_sign_in(monkeypatch, ctx, client, people):
    _env(monkeypatch, ctx)
    runner = CliRunner()
    weak = runner.invoke(cli, ["portal", "set-password", "auditor1", "--stdin"], input="short\n")
    assert weak.exit_code == 1 and "at least 12 characters" in weak.output
    unknown = runner.invoke(
        cli, ["portal", "set-password", "nobody", "--stdin"], input="a long enough secret\n"
    )
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output
    done = runner.invoke(
        cli, ["portal", "set-password", "auditor1", "--stdin"], input="a long enough secret\n"
    )
    assert done.exit_code == 0, done.output
    assert sign_in(client, username="auditor1", password="a long enough secret").status_code == 303


def test_export_a_share_from_the_command_line(monkeypatch, ctx, client, people, stored, tmp_path):
    _env(monkeypatch, ctx)
    sign_in(client)
    make_share(client, list(stored))
    share_id = _share_id(ctx)
    runner = CliRunner()
    both = runner.invoke(
        cli, ["portal", "export", "--out", str(tmp_path / "x"), "--share", share_id, "--report", "R1"]
    )
    assert both.exit_code == 2 and "exactly one" in both.output
    result = runner.invoke(cli, ["portal", "export", "--out", str(tmp_path / "pkg"), "--share", share_id])
    assert result.exit_code == 0, result.output
    (zipped,) = (tmp_path / "pkg").glob("*.zip")
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(tmp_path / "open")
    (bag_dir,) = (tmp_path / "open").iterdir()
    bagit.Bag(str(bag_dir)).validate()
    missing = runner.invoke(cli, ["portal", "export", "--out", str(tmp_path / "y"), "--share", "f" * 32])
    assert missing.exit_code == 1 and "no share" in missing.output
