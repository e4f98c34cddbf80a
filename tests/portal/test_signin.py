"""Console sign-in: passwords and tokens, the CJIS lock after 5 failures for 10
minutes, the 30-minute idle end of a session, CSRF on forms, and the audit of it all."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from ingest_server.portal.models import PortalCredential, PortalSession
from ingest_server.portal.web import COOKIE
from tests.portal.conftest import PASSWORD, csrf, sign_in


def _events(ctx, event_type):
    with ctx.sessions() as session:
        return list(session.execute(select(AuditEvent).where(AuditEvent.event_type == event_type)).scalars())


def test_password_sign_in_opens_the_console_and_keeps_only_hashes(client, people, ctx):
    assert (
        client.get("/portal/clips", follow_redirects=False).headers["location"].startswith("/portal/sign-in")
    )
    response = sign_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/portal/clips"
    raw = client.cookies.get(COOKIE)
    page = client.get("/portal/clips")
    assert page.status_code == 200 and "custodian1" in page.text and "Clips" in page.text
    with ctx.sessions() as session:
        rows = session.execute(select(PortalSession)).scalars().all()
        creds = session.execute(select(PortalCredential)).scalars().all()
    assert len(rows) == 1 and rows[0].id_hash != raw and raw not in rows[0].id_hash
    hashes = [c.password_hash for c in creds]
    assert all(h.startswith("scrypt$") and PASSWORD not in h for h in hashes)
    assert len({h.split("$")[4] for h in hashes}) == len(hashes), "each user has a salt of their own"
    signed = _events(ctx, "portal.sign_in")
    assert [(e.actor, e.outcome) for e in signed] == [("user:custodian1", "success")]
    # the page views themselves are audited under the user's name
    assert any(e.actor == "user:custodian1" for e in _events(ctx, "api.portal.clips"))


def test_five_failures_lock_the_account_for_ten_minutes(client, people, ctx, clock):
    for _ in range(4):
        failed = sign_in(client, password="wrong password!!")
        assert failed.status_code == 401 and "wrong username or password" in failed.text
    fifth = sign_in(client, password="wrong password!!")
    assert "locked" in fifth.text
    # even the right password is refused while locked, and the page says until when
    refused = sign_in(client)
    assert refused.status_code == 401 and "locked until" in refused.text
    clock.advance(minutes=9, seconds=59)
    assert "locked until" in sign_in(client).text
    clock.advance(seconds=2)
    assert sign_in(client).status_code == 303
    assert [e.outcome for e in _events(ctx, "portal.account_locked")] == ["failure"]
    outcomes = [e.outcome for e in _events(ctx, "portal.sign_in")]
    assert outcomes == ["failure"] * 5 + ["denied", "denied", "success"]


def test_a_success_resets_the_failure_count(client, people):
    for _ in range(4):
        sign_in(client, password="wrong password!!")
    assert sign_in(client).status_code == 303
    for _ in range(4):
        assert "wrong username or password" in sign_in(client, password="wrong password!!").text
    assert sign_in(client).status_code == 303


def test_unknown_user_gets_the_same_answer(client, people, ctx):
    response = sign_in(client, username="nobody")
    assert response.status_code == 401 and "wrong username or password" in response.text
    assert _events(ctx, "portal.sign_in")[-1].actor == "user:nobody"


def test_an_unknown_user_costs_the_same_scrypt_work_as_a_wrong_password(client, people, monkeypatch):
    work = []
    real = hashlib.scrypt

    def counted(password, **kw):
        work.append({k: kw[k] for k in ("n", "r", "p", "dklen")})
        return real(password, **kw)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    assert sign_in(client, password="wrong password!!").status_code == 401
    known, work[:] = list(work), []
    assert sign_in(client, username="nobody", password="wrong password!!").status_code == 401
    assert work == known == [{"n": 2**14, "r": 8, "p": 5, "dklen": 32}]


def test_session_ends_after_thirty_idle_minutes(client, people, ctx, clock):
    sign_in(client)
    clock.advance(minutes=29)
    assert client.get("/portal/clips").status_code == 200  # activity restarts the idle clock
    clock.advance(minutes=29)
    assert client.get("/portal/clips").status_code == 200
    clock.advance(minutes=30, seconds=1)
    gone = client.get("/portal/clips", follow_redirects=False)
    assert gone.status_code == 303 and "/portal/sign-in" in gone.headers["location"]
    page = client.get(gone.headers["location"])
    assert "30 minutes without use" in page.text
    clock.advance(seconds=1)
    assert client.get("/portal/clips", follow_redirects=False).status_code == 303  # stays ended
    assert [e.detail for e in _events(ctx, "portal.session_ended")] == [
        '{"reason":"idle","user_id":"' + _user_id(ctx, "custodian1") + '"}'
    ]


def _user_id(ctx, username):
    from ingest_server.auth.models import User

    with ctx.sessions() as session:
        return session.execute(select(User.id).where(User.username == username)).scalar_one()


def test_token_sign_in_and_who_may_not_sign_in(client, people):
    assert (
        client.post("/portal/sign-in", data={"token": people["auditor"]}, follow_redirects=False).status_code
        == 303
    )
    client.cookies.clear()
    device = client.post("/portal/sign-in", data={"token": people["device"]})
    assert device.status_code == 401 and "unknown or revoked token" in device.text
    prosecutor = client.post("/portal/sign-in", data={"token": people["prosecutor"]})
    assert prosecutor.status_code == 401 and "share links" in prosecutor.text


def test_sign_out_ends_the_session_and_needs_the_form_token(client, people):
    sign_in(client)
    assert client.post("/portal/sign-out", data={"csrf": "forged"}).status_code == 403
    out = client.post("/portal/sign-out", data={"csrf": csrf(client)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/portal/clips", follow_redirects=False).status_code == 303


def test_next_never_leaves_the_console(client, people):
    response = client.post(
        "/portal/sign-in",
        data={"username": "custodian1", "password": PASSWORD, "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/portal/clips"


def test_password_spraying_from_one_address_is_slowed_down(client, people, clock):
    for n in range(20):
        assert sign_in(client, username=f"guess{n}").status_code == 401
    blocked = sign_in(client)
    assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.text
    clock.advance(minutes=10, seconds=1)
    assert sign_in(client).status_code == 303


def test_disabling_a_user_ends_their_console_session(client, people, ctx):
    from ingest_server.auth.models import User

    sign_in(client)
    assert client.get("/portal/clips").status_code == 200
    with ctx.sessions() as session:
        session.execute(select(User).where(User.username == "custodian1")).scalar_one().disabled = True
        session.commit()
    ended = client.get("/portal/clips", follow_redirects=False)
    assert ended.status_code == 303 and "account%20disabled" in ended.headers["location"]
    again = sign_in(client)
    assert again.status_code == 401 and "disabled" in again.text
