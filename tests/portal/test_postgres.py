"""The same console, share and export flow on PostgreSQL (the scale path): the
portal's tables, its locking read of the download counter, and its times."""

from __future__ import annotations

import io
import uuid
import zipfile

import bagit
import pytest
from fastapi.testclient import TestClient

from ingest_server.app import build_context, create_app
from ingest_server.auth import service as auth_service
from ingest_server.portal import signin
from ingest_server.settings import Settings
from ingest_server.shares import service as shares
from tests.ingest_server import helpers
from tests.ingest_server.conftest import pg_url  # noqa: F401 (the session's PostgreSQL database)
from tests.portal.conftest import PASSWORD, Clock, csrf
from tests.portal.test_shares import make_share

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_client(pg_url, s3_endpoint, tmp_path):  # noqa: F811
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=pg_url,
        s3_endpoint_url=s3_endpoint,
        s3_bucket=f"portal-pg-{uuid.uuid4().hex[:10]}",
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    ctx = build_context(settings, clock=Clock())
    with TestClient(create_app(context=ctx), raise_server_exceptions=False) as client:
        yield client, ctx
    ctx.engine.dispose()


def test_share_review_revoke_and_export_on_postgresql(pg_client, tmp_path):
    client, ctx = pg_client
    suffix = uuid.uuid4().hex[:8]
    with ctx.sessions() as session:
        auth_service.create_user(
            session=session, username=f"cust-{suffix}", role="custodian", officer_id=None, actor="test"
        )
        signin.set_password(
            session=session, username=f"cust-{suffix}", password=PASSWORD, actor="test", now=ctx.clock()
        )
        _, device = auth_service.enroll_device(
            session=session, name=f"car-{suffix}", vehicle_id="V1", actor="test"
        )
    data = helpers.clip_bytes(20_000, seed=int(suffix, 16) % 1000)
    registered, _ = helpers.upload(client, {"Authorization": f"Bearer {device}"}, data)
    clip_id = registered["clip_id"]

    for _ in range(5):
        client.post("/portal/sign-in", data={"username": f"cust-{suffix}", "password": "not the password"})
    locked = client.post("/portal/sign-in", data={"username": f"cust-{suffix}", "password": PASSWORD})
    assert locked.status_code == 401 and "locked until" in locked.text
    ctx.clock.advance(minutes=10, seconds=1)
    assert (
        client.post(
            "/portal/sign-in",
            data={"username": f"cust-{suffix}", "password": PASSWORD},
            follow_redirects=False,
        ).status_code
        == 303
    )

    path = make_share(client, [clip_id], allow_download="1", download_limit="1")
    with ctx.sessions() as session:
        share_id = shares.by_token(session=session, token=path.rsplit("/", 1)[1]).id
    package = client.get(f"/portal/shares/{share_id}/package.zip")
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        archive.extractall(tmp_path / "bag")
    (bag_dir,) = (tmp_path / "bag").iterdir()
    bagit.Bag(str(bag_dir)).validate()

    revoke_form = {"csrf": csrf(client), "reason": "done"}
    client.cookies.clear()
    assert client.get(path).status_code == 200
    assert client.get(f"{path}/clips/{clip_id}/original").content == data
    assert client.get(f"{path}/clips/{clip_id}/original").status_code == 403  # limit of one
    client.post("/portal/sign-in", data={"username": f"cust-{suffix}", "password": PASSWORD})
    revoke_form["csrf"] = csrf(client)
    assert client.post(f"/portal/shares/{share_id}/revoke", data=revoke_form).status_code == 200
    client.cookies.clear()
    assert client.get(path).status_code == 410
