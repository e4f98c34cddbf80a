"""Fixtures for the console and review portal: a migrated SQLite database (a copy of the
session's, tests/support/sqlite_template.py), a bucket of its own on the loopback store, an
app with an injected clock, people (with console passwords, each hashed once per session:
tests/support/passwords.py), and stored clips uploaded through the real register/complete API.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from ingest_server.app import build_context, create_app
from ingest_server.auth import service as auth_service
from ingest_server.settings import Settings
from tests.ingest_server import helpers
from tests.support.clock import Clock
from tests.support.passwords import set_password

PASSWORD = "correct horse battery staple"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def ctx(tmp_path, s3_endpoint, clock, migrated_sqlite):
    assert s3_endpoint.startswith("http://127.0.0.1:")
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'evidence.sqlite3'}",
        s3_endpoint_url=s3_endpoint,
        s3_bucket=f"portal-{uuid.uuid4().hex[:12]}",
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    migrated_sqlite(settings.db_url)
    context = build_context(settings, clock=clock)
    yield context
    context.engine.dispose()


@pytest.fixture
def app(ctx):
    return create_app(context=ctx)


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def people(ctx, clock):
    """A token per role, and console passwords for the custodian, auditor and trooper."""
    tokens = {}
    with ctx.sessions() as session:
        for role in ("admin", "custodian", "auditor", "trooper", "prosecutor"):
            officer = "B1234" if role == "trooper" else None
            _, tokens[role] = auth_service.create_user(
                session=session, username=f"{role}1", role=role, officer_id=officer, actor="test"
            )
            if role != "prosecutor":
                set_password(
                    session=session, username=f"{role}1", password=PASSWORD, actor="test", now=clock()
                )
        _, tokens["device"] = auth_service.enroll_device(
            session=session, name="car-17", vehicle_id="V17", actor="test"
        )
    return helpers.Tokens(tokens)


def upload_clip(client, tokens, data: bytes, **meta) -> str:
    """Upload through the device API (register, PUT parts, complete); return the clip id."""
    registered, _ = helpers.upload(client, tokens.auth("device"), data, **meta)
    return registered["clip_id"]


@pytest.fixture
def stored(client, people):
    """Two stored clips (body camera of B1234, dashcam of V17) as (id, bytes) pairs."""
    body = helpers.clip_bytes(40_000, seed=1)
    dash = helpers.clip_bytes(30_000, seed=2)
    a = upload_clip(client, people, body, original_name="AXON_0019283746.MP4")
    b = upload_clip(
        client,
        people,
        dash,
        original_name="DASH0001.MP4",
        officer_id="B5678",
        camera_serial="DC-77",
        corrected_start="2026-11-24T10:00:30+00:00",
        corrected_end="2026-11-24T10:05:30+00:00",
    )
    return {a: body, b: dash}


def sign_in(client, username: str = "custodian1", password: str = PASSWORD):
    return client.post(
        "/portal/sign-in",
        data={"username": username, "password": password, "next": "/portal/clips"},
        follow_redirects=False,
    )


def csrf(client) -> str:
    from ingest_server.portal.web import COOKIE, csrf_for

    return csrf_for(client.cookies.get(COOKIE))
