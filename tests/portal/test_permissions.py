"""One authorization table (ingest_server/auth/permissions.py) decides for the JSON
API, the console's pages and links, and console sign-in: change the table and all
three follow, each answering in its own way (403 JSON, the 403 error page, the
sign-in page)."""

from __future__ import annotations

from ingest_server.auth import permissions
from ingest_server.auth.permissions import Permission, Rule
from ingest_server.auth.roles import Role
from tests.portal.conftest import sign_in

ADMIN_ONLY = frozenset({Role.ADMIN})


def test_one_table_decides_for_the_api_the_console_and_sign_in(client, people, stored, monkeypatch):
    clip_id, data = next(iter(stored.items()))
    custodian = people.auth("custodian")
    assert client.get(f"/api/v1/clips/{clip_id}/original", headers=custodian).content == data
    assert sign_in(client).status_code == 303
    assert client.get(f"/portal/clips/{clip_id}/original").content == data
    assert 'href="/portal/shares"' in client.get(f"/portal/clips/{clip_id}").text

    # custodians lose download and share management in the table, and nowhere else
    monkeypatch.setitem(permissions.TABLE, Permission.CLIPS_DOWNLOAD, Rule(ADMIN_ONLY, "clips.download"))
    monkeypatch.setitem(permissions.TABLE, Permission.SHARES_MANAGE, Rule(ADMIN_ONLY, "shares.manage"))
    api = client.get(f"/api/v1/clips/{clip_id}/original", headers=custodian)
    assert api.status_code == 403
    assert api.json()["detail"] == "forbidden: role 'custodian' may not clips.download"
    page = client.get(f"/portal/clips/{clip_id}/original")
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "Your role (custodian) may not clips.download." in page.text
    assert 'href="/portal/shares"' not in client.get(f"/portal/clips/{clip_id}").text
    assert client.get("/portal/shares").status_code == 403

    # console sign-in is a row of the same table
    monkeypatch.setitem(permissions.TABLE, Permission.CONSOLE_SIGN_IN, Rule(ADMIN_ONLY, "use the console"))
    client.cookies.clear()
    refused = sign_in(client, "auditor1")
    assert refused.status_code == 401 and "evidence_portal" not in refused.cookies
