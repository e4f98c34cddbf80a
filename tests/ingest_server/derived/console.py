"""A console client for the redaction pages' tests, signed in through the sign-in form."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ingest_server.app import create_app
from ingest_server.portal import signin
from ingest_server.portal.web import COOKIE, csrf_for
from tests.portal.conftest import PASSWORD


def signed_in(ctx, username):
    """A console client signed in as `username` (a user already made), and its CSRF token."""
    with ctx.sessions() as session:
        signin.set_password(
            session=session, username=username, password=PASSWORD, actor="test", now=ctx.clock()
        )
    client = TestClient(create_app(context=ctx), raise_server_exceptions=False)
    r = client.post(
        "/portal/sign-in", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303
    return client, csrf_for(client.cookies.get(COOKIE))
