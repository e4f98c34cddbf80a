"""`evidence-server reports publish --out DIR`: the same files the server serves at /public/."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from ingest_server.audit.models import AuditEvent
from ingest_server.cli import app as cli_app
from ingest_server.types import utcnow
from tests.ingest_server.public.conftest import NOW


def _env(ctx, monkeypatch):
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


def test_publish_writes_what_the_server_serves(portal, tmp_path, monkeypatch):
    client, ctx, _ = portal
    _env(ctx, monkeypatch)
    out = tmp_path / "site"
    done = CliRunner().invoke(cli_app, ["reports", "publish", "--out", str(out)])
    assert done.exit_code == 0, done.output
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert f"{len(written)} files written to {out}" in done.output
    assert {"index.html", "public.css", "data-dictionary.html", "towns/hartford.html"} <= set(written)
    today, served_day = utcnow().strftime("%Y-%m-%d"), NOW.strftime("%Y-%m-%d")
    for path, body in written.items():
        served = client.get(f"/public/{path}")
        assert served.status_code == 200, path
        # the CLI dates the data with the real clock, the test server with its fixed one
        assert body.replace(today.encode(), served_day.encode()) == served.content, path
    with ctx.sessions() as session:
        event = session.execute(
            select(AuditEvent).where(AuditEvent.event_type == "reporting.public_published")
        ).scalar_one()
    assert event.outcome == "success" and event.actor.startswith("cli:")
    assert json.loads(event.detail)["files"] == len(written)


def test_publish_refuses_a_file_as_the_folder(portal, tmp_path, monkeypatch):
    _, ctx, _ = portal
    _env(ctx, monkeypatch)
    target = tmp_path / "taken"
    target.write_text("not a folder")
    done = CliRunner().invoke(cli_app, ["reports", "publish", "--out", str(target)])
    assert done.exit_code == 2 and "exists and is not a folder" in done.output
    assert target.read_text() == "not a folder"
