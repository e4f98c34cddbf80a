"""`evidence-server`: migrate, create-user, enroll-device (token shown once, stored
hashed), and serve refusing an unmigrated database."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ingest_server import migrate
from ingest_server.cli import app


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("EVIDENCE_SERVER_DATA_DIR", str(tmp_path))
    return tmp_path


def _run(*args):
    return CliRunner().invoke(app, list(args))


def test_serve_refuses_an_unmigrated_database(env):
    result = _run("serve", "--no-migrate", "--port", "1")
    assert result.exit_code == 2 and "run `evidence-server migrate`" in result.output


def test_migrate_then_create_user_and_enroll_device(env):
    migrated = _run("migrate")
    heads = ", ".join(migrate.head_revisions())
    assert migrated.exit_code == 0 and f"database at revision {heads}" in migrated.output
    assert _run("migrate").exit_code == 0  # idempotent

    made = _run("create-user", "alice", "--role", "custodian")
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert token.startswith("evu_") and len(token) > 40
    enrolled = _run("enroll-device", "car-17", "--vehicle-id", "V17")
    device_token = enrolled.output.strip().splitlines()[-1]
    assert enrolled.exit_code == 0 and device_token.startswith("evd_")

    engine = create_engine(f"sqlite:///{env / 'evidence.sqlite3'}")
    with engine.connect() as conn:
        dump = "\n".join(conn.connection.driver_connection.iterdump())
        users = conn.execute(text("SELECT username, role, token_hash FROM users")).all()
        events = conn.execute(text("SELECT event_type, actor FROM audit_events ORDER BY seq")).all()
    engine.dispose()
    assert token not in dump and device_token not in dump  # only hashes are stored
    assert users == [("alice", "custodian", hashlib.sha256(token.encode()).hexdigest())]
    assert [e[0] for e in events] == ["user.created", "device.enrolled"]
    assert all(actor.startswith("cli:") for _, actor in events)

    again = _run("create-user", "alice", "--role", "custodian")
    assert again.exit_code == 1 and "already exists" in again.output
    bad = _run("create-user", "bob", "--role", "sheriff")
    assert bad.exit_code == 1 and "unknown role" in bad.output


def test_commands_need_a_migrated_database(env):
    result = _run("create-user", "alice", "--role", "admin")
    assert result.exit_code == 2 and "evidence-server migrate" in result.output


def test_disable_revokes_a_device_token(env, s3_endpoint, monkeypatch):
    from fastapi.testclient import TestClient

    from ingest_server.app import create_app
    from ingest_server.settings import Settings

    assert _run("migrate").exit_code == 0
    token = _run("enroll-device", "car-99").output.strip().splitlines()[-1]
    settings = Settings(
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
        s3_bucket="disable-test",
    )
    with TestClient(create_app(settings)) as client:
        me = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/me", headers=me).status_code == 200
        disabled = _run("disable", "car-99")
        assert disabled.exit_code == 0 and "disabled" in disabled.output
        assert client.get("/api/v1/me", headers=me).status_code == 401
    assert _run("disable", "car-00").exit_code == 1
    assert _run("disable", "x", "--kind", "printer").exit_code == 2


def test_a_data_folder_that_does_not_exist_yet_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("EVIDENCE_SERVER_DATA_DIR", str(tmp_path / "not-yet"))
    result = _run("enroll-device", "car-1")
    assert result.exit_code == 2
    assert "cannot open the database" in result.output and "evidence-server migrate" in result.output
