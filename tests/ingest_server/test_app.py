"""App hygiene: settings, migrations, key handling, JSON errors, size limits, OpenAPI."""

from __future__ import annotations

import stat
import uuid

import pytest
from pydantic import ValidationError

from ingest_server import migrate
from ingest_server.app import build_context
from ingest_server.settings import Settings


def test_unmigrated_database_is_refused_with_the_fix(tmp_path, s3_endpoint):
    settings = Settings(
        data_dir=tmp_path,
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    with pytest.raises(migrate.NotMigratedError, match="run `evidence-server migrate`"):
        build_context(settings)
    migrate.upgrade(settings.db_url)
    ctx = build_context(settings)
    assert ctx.engine.url.database.endswith("evidence.sqlite3")
    with ctx.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    ctx.engine.dispose()


def test_object_lock_days_must_be_at_least_90():
    with pytest.raises(ValidationError, match="at least 90"):
        Settings(object_lock_days=30)
    assert Settings().object_lock_days == 90
    assert Settings(object_lock_days=365).object_lock_days == 365


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("EVIDENCE_SERVER_S3_BUCKET", "from-env")
    monkeypatch.setenv("EVIDENCE_SERVER_MAX_PAGE_SIZE", "77")
    settings = Settings()
    assert settings.s3_bucket == "from-env" and settings.max_page_size == 77


def test_signing_key_created_private_and_reused(ctx, settings):
    path = settings.key_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = build_context(settings)
    assert again.signer.key_id == ctx.signer.key_id
    again.engine.dispose()
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        build_context(settings)


def test_bucket_bootstrap_enables_versioning_and_object_lock(ctx):
    s3, bucket = ctx.storage.client, ctx.storage.bucket
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"


def test_bucket_without_object_lock_is_refused(ctx):
    from ingest_server.storage import Storage, StorageError

    s3 = ctx.storage.client
    plain = f"plain-no-lock-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=plain)
    with pytest.raises(StorageError, match="Object Lock"):
        Storage(s3, plain).ensure_bucket(create=False)


def test_errors_are_json_with_clear_messages(client, people):
    response = client.post(
        "/api/v1/uploads/register",
        headers=people.auth("device"),
        json={"manifest": {"size": -1}, "metadata": {}},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("invalid request: manifest.") and body["errors"]
    unknown = client.get("/api/v1/nothing-here")
    assert unknown.status_code == 404 and unknown.json() == {"detail": "Not Found"}
    naive = client.get(
        "/api/v1/clips", headers=people.auth("custodian"), params={"recorded_from": "2026-01-01T00:00:00"}
    )
    assert naive.status_code == 422 and "timezone" in naive.json()["detail"]


def test_request_body_size_limit(client, people, ctx):
    limit = ctx.settings.max_body_bytes
    big = b'{"x":"' + b"a" * limit + b'"}'
    declared = client.post(
        "/api/v1/uploads/register",
        headers={**people.auth("device"), "content-type": "application/json"},
        content=big,
    )
    assert declared.status_code == 413 and f"the limit is {limit}" in declared.json()["detail"]

    def chunks():
        yield big[: len(big) // 2]
        yield big[len(big) // 2 :]

    chunked = client.post(
        "/api/v1/uploads/register",
        headers={**people.auth("device"), "content-type": "application/json"},
        content=chunks(),
    )
    assert chunked.status_code == 413


def test_thumbnail_and_clip_limits(client, people, ctx):
    from tests.ingest_server.helpers import clip_bytes, register

    response = register(client, people.auth("device"), clip_bytes(100), thumbnail_jpeg_b64="!!notbase64")
    assert response.status_code == 422 and "base64" in response.json()["detail"]
    ctx.settings = ctx.settings.model_copy(update={"max_clip_bytes": 50})
    response = register(client, people.auth("device"), clip_bytes(100))
    assert response.status_code == 413 and "above the limit 50" in response.json()["detail"]


def test_openapi_documents_every_operation(client):
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            assert op.get("summary"), f"{method} {path} lacks a summary"
            assert "200" in op["responses"] or "201" in op["responses"], f"{method} {path}"
    register = spec["paths"]["/api/v1/uploads/register"]["post"]
    assert register["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "RegisterOut"
    )
