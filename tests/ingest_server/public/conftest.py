"""One server per module with the public portal enabled, and the generated reports
stored through the real report API (POST /api/v1/reports, as a custodian)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from ingest_server import migrate
from ingest_server.app import build_context, create_app
from ingest_server.auth import service as auth_service
from ingest_server.settings import Settings
from tests.ingest_server.public import dataset

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def make_settings(tmp, s3_endpoint, **overrides) -> Settings:
    assert s3_endpoint.startswith("http://127.0.0.1:"), "tests only ever talk to a loopback store"
    return Settings(
        data_dir=tmp / "data",
        database_url=f"sqlite:///{tmp / 'evidence.sqlite3'}",
        s3_endpoint_url=s3_endpoint,
        s3_bucket=f"public-{uuid.uuid4().hex[:12]}",
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
        **{"public_portal": True, **overrides},
    )


def store_reports(client, token: str, bodies: list[dict]) -> None:
    for body in bodies:
        answer = client.post("/api/v1/reports", headers={"Authorization": f"Bearer {token}"}, json=body)
        assert answer.status_code == 201, answer.text


@pytest.fixture(scope="module")
def portal(tmp_path_factory, s3_endpoint):
    """(client, ctx, bodies): the app with every generated report stored through the API."""
    tmp = tmp_path_factory.mktemp("public")
    settings = make_settings(tmp, s3_endpoint)
    migrate.upgrade(settings.db_url)
    ctx = build_context(settings, clock=lambda: NOW)
    with ctx.sessions() as session:
        _, token = auth_service.create_user(
            session=session, username="custodian1", role="custodian", officer_id=None, actor="test"
        )
    bodies = dataset.reports()
    with TestClient(create_app(context=ctx), raise_server_exceptions=False) as client:
        store_reports(client, token, bodies)
        yield client, ctx, bodies
    ctx.engine.dispose()
