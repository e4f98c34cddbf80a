"""A stored clip with real faces (the test footage of tests/ingest_server/redaction), a server on
SQLite and PostgreSQL with its own bucket on the loopback store, two custodians and an agency PKI
made here."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from ingest_server.app import build_context, create_app
from ingest_server.auth import service as auth_service
from ingest_server.auth.roles import Role
from ingest_server.auth.service import Principal
from ingest_server.settings import Settings
from tests.ingest_server import helpers
from tests.ingest_server.redaction import certs, footage


@pytest.fixture(scope="session")
def pki():
    return certs.make("Test Agency Root CA")


@pytest.fixture(scope="module")
def footage_clip(tmp_path_factory):
    """Two seconds at 640x360, 15 fps, two faces, AAC tones."""
    path = tmp_path_factory.mktemp("footage") / "AXON_0001.MP4"
    return footage.make(path, fps=15, seconds=2.0)


@pytest.fixture
def ctx(tmp_path, s3_endpoint, pki, db_url):
    """SQLite, and PostgreSQL when reachable (`db_url` of tests/ingest_server/conftest.py, migrated)."""
    assert s3_endpoint.startswith("http://127.0.0.1:")
    (tmp_path / "chain.pem").write_bytes(pki.chain_pem)
    (tmp_path / "key.pem").write_bytes(pki.key_pem)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        s3_endpoint_url=s3_endpoint,
        s3_bucket=f"derived-{uuid.uuid4().hex[:12]}",
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
        release_cert_chain_path=tmp_path / "chain.pem",
        release_key_path=tmp_path / "key.pem",
    )
    context = build_context(settings)
    yield context
    context.engine.dispose()


@pytest.fixture
def client(ctx):
    with TestClient(create_app(context=ctx), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def custodians(ctx):
    people = []
    with ctx.sessions() as session:
        for name in ("custodian1", "custodian2"):
            user, _ = auth_service.create_user(
                session=session, username=name, role="custodian", officer_id=None, actor="test"
            )
            people.append(Principal(kind="user", id=user.id, name=name, role=Role.CUSTODIAN))
    return people


@pytest.fixture
def store_footage(ctx, client):
    """`store(made, name)`: made footage uploaded through the device API; (clip id, its bytes)."""

    def store(made: footage.Footage, name: str) -> tuple[str, bytes]:
        with ctx.sessions() as session:
            _, device = auth_service.enroll_device(
                session=session, name="car-17", vehicle_id="V17", actor="test"
            )
        data = made.path.read_bytes()
        registered, _ = helpers.upload(
            client,
            {"Authorization": f"Bearer {device}"},
            data,
            original_name=name,
            fps=float(made.fps),
            duration_seconds=made.frames / made.fps,
            width=made.width,
            height=made.height,
        )
        return registered["clip_id"], data

    return store


@pytest.fixture
def stored_clip(store_footage, footage_clip):
    """The footage uploaded through the device API; (clip id, its bytes)."""
    return store_footage(footage_clip, "AXON_0001.MP4")
