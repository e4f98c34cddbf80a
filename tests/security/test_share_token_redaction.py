"""Found 3: a HEAD (as link scanners send), POST, OPTIONS... on `/review/<token>` put
the raw share token in the append-only audit log, where an auditor could read it
and then download originals.

What must hold: for every method and every outcome (served, 405, revoked, unknown,
too large, rate-limited) the raw token is in no audit row, no log line and no
response, and each request still leaves an audit row.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from tests.portal.conftest import csrf, sign_in
from tests.portal.test_shares import make_share

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _rows(ctx) -> list[str]:
    with ctx.sessions() as session:
        events = session.execute(select(AuditEvent)).scalars()
        return [" ".join(str(getattr(e, c.key)) for c in AuditEvent.__table__.columns) for e in events]


def _hit_everything(client, path: str, clip_id: str) -> int:
    n = 0
    for method in METHODS:
        for url in (
            path,
            f"{path}/clips/{clip_id}/stream",
            f"{path}/clips/{clip_id}/original",
            f"{path}/package.zip",
            f"{path}/no/such/thing",
        ):
            response = client.request(method, url, headers={"Range": "bytes=0-9"})
            token = path.rsplit("/", 1)[1]
            if response.status_code >= 300:  # a refusal or error page never echoes the token
                assert token not in response.text and token not in str(response.headers), (method, url)
            assert response.status_code < 500, (method, url, response.status_code)
            n += 1
    too_big = client.post(path, content=b"x" * (3 * 1024 * 1024))
    assert too_big.status_code == 413
    return n + 1


def test_no_method_or_outcome_puts_the_raw_token_in_the_audit_or_logs(client, people, ctx, stored, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(client)
    first = next(iter(stored))
    live = make_share(client, [first], allow_download="1")
    revoked = make_share(client, [first])
    share_id = client.get("/portal/shares").text.split("/portal/shares/")[1][:32]
    client.post(f"/portal/shares/{share_id}/revoke", data={"csrf": csrf(client), "reason": "closed"})
    client.cookies.clear()
    before = len(_rows(ctx))

    requests = _hit_everything(client, live, first) + _hit_everything(client, revoked, first)
    unknown = "/review/" + "Q" * 43  # the shape of a real token that matches no share
    requests += _hit_everything(client, unknown, first)
    while client.get(unknown).status_code != 429:  # guessing until the address is blocked
        requests += 1
    requests += _hit_everything(client, live, first) + 1  # and every method while blocked

    rows = _rows(ctx)
    assert len(rows) - before >= requests + 1  # every request audited, refused ones included
    for token in (live, revoked, unknown):
        raw = token.rsplit("/", 1)[1]
        leaked = [r for r in rows if raw in r]
        assert not leaked, leaked[:2]
        server_log = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
        assert not [line for line in server_log if raw in line]  # (httpx is the test's own client)
