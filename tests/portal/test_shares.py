"""Shares and the review pages: what the recipient sees, what the server refuses
(revoked and expired: 410; view-only and over the limit: 403; guessing: 429), and
the audit of every view, play and download with the share id and recipient."""

from __future__ import annotations

import hashlib
import json
import re

from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from ingest_server.shares.models import Share
from tests.portal.conftest import csrf, sign_in


def make_share(client, clip_ids, **form):
    data = {
        "csrf": csrf(client),
        "recipient": "ADA Jane Roe",
        "title": "State v. Doe",
        "clip_ids": clip_ids,
        **form,
    }
    response = client.post("/portal/shares", data=data)
    assert response.status_code == 201, response.text
    link = re.search(r'value="(http://testserver/review/[^"]+)"', response.text).group(1)
    return link.removeprefix("http://testserver")


def _share_id(ctx):
    with ctx.sessions() as session:
        return session.execute(select(Share.id)).scalar_one()


def _events(ctx):
    with ctx.sessions() as session:
        return list(session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())


def test_every_view_play_and_download_is_audited_with_share_and_recipient(client, people, ctx, stored):
    sign_in(client)
    ids = list(stored)
    path = make_share(client, ids, allow_download="1")
    share_id = _share_id(ctx)
    client.cookies.clear()  # the recipient has no console session

    page = client.get(path)
    assert page.status_code == 200
    for data in stored.values():
        assert hashlib.sha256(data).hexdigest() in page.text
    assert "ADA Jane Roe" in page.text and "sha256sum" in page.text

    first = ids[0]
    played = client.get(f"{path}/clips/{first}/stream", headers={"Range": "bytes=0-999"})
    assert played.status_code == 206 and played.content == stored[first][:1000]
    assert played.headers["content-range"] == f"bytes 0-999/{len(stored[first])}"
    assert played.headers["content-type"].startswith("video/mp4")
    whole = client.get(f"{path}/clips/{first}/original")
    assert whole.status_code == 200 and whole.content == stored[first]
    assert whole.headers["x-content-sha256"] == hashlib.sha256(stored[first]).hexdigest()
    assert 'filename="B1234_2026-11-24_100002Z_X81234.mp4"' in whole.headers["content-disposition"]

    uses = [e for e in _events(ctx) if e.component == "review"]
    assert [(e.event_type, e.object_id) for e in uses] == [
        ("share.viewed", share_id),
        ("share.clip_played", first),
        ("share.clip_downloaded", first),
    ]
    for e in uses:
        detail = json.loads(e.detail)
        assert detail["share_id"] == share_id and detail["recipient"] == "ADA Jane Roe"
        assert e.actor == f"share:{share_id}:ADA Jane Roe" and e.source == "testclient"
    assert json.loads(uses[1].detail)["range"] == "0-999"
    # the plays and downloads are in the clip's own trail, as the custodian sees it
    sign_in(client)
    trail = client.get(f"/portal/clips/{first}").text
    assert "share.clip_played" in trail and "share.clip_downloaded" in trail and "clip.shared" in trail
    manage = client.get(f"/portal/shares/{share_id}").text
    assert manage.count("share.clip_") >= 2 and "share.viewed" in manage


def test_the_raw_token_never_reaches_the_audit_log(client, people, ctx, stored):
    sign_in(client)
    path = make_share(client, list(stored))
    token = path.rsplit("/", 1)[1]
    client.get(path)
    client.get(f"{path}/clips/{next(iter(stored))}/stream")
    client.get(f"{path}/no/such/thing")
    logged = [e for e in _events(ctx) if e.event_type.startswith("api.review")]
    assert len(logged) == 3
    for e in _events(ctx):
        assert token not in json.dumps([e.detail, e.object_id, e.actor])
    assert all("/review/sha256:" in json.loads(e.detail)["path"] for e in logged)


def test_view_only_and_download_limit(client, people, ctx, stored):
    sign_in(client)
    first, second = list(stored)
    view_only = make_share(client, [first])
    limited = make_share(client, [first, second], allow_download="1", download_limit="1")
    client.cookies.clear()
    refused = client.get(f"{view_only}/clips/{first}/original")
    assert refused.status_code == 403 and "view-only" in refused.text
    # issue 12: the stream is the original's bytes, so a view-only share does not stream it
    assert client.get(f"{view_only}/clips/{first}/stream").status_code == 403
    assert client.get(f"{limited}/clips/{first}/original").status_code == 200
    over = client.get(f"{limited}/clips/{second}/original")
    assert over.status_code == 403 and "download limit of this share (1)" in over.text
    # issue 12: every request for original bytes counts, a resumed range too, and no stream
    resumed = client.get(f"{limited}/clips/{first}/original", headers={"Range": "bytes=100-"})
    assert resumed.status_code == 403
    assert client.get(f"{limited}/clips/{second}/stream").status_code == 403
    refusals = [e for e in _events(ctx) if e.event_type == "share.download_refused"]
    assert [e.outcome for e in refusals] == ["denied", "denied", "denied"]


def test_revoked_and_expired_links_show_a_clear_410_page(client, people, ctx, clock, stored):
    sign_in(client)
    first = next(iter(stored))
    path = make_share(client, [first], days="3")
    share_id = _share_id(ctx)
    token = csrf(client)
    assert (
        client.post(f"/portal/shares/{share_id}/revoke", data={"csrf": token, "reason": ""}).status_code
        == 422
    )
    revoked = client.post(f"/portal/shares/{share_id}/revoke", data={"csrf": token, "reason": "case closed"})
    assert revoked.status_code == 200 and "revoked" in revoked.text
    again = client.post(f"/portal/shares/{share_id}/revoke", data={"csrf": token, "reason": "twice"})
    assert again.status_code == 409
    client.cookies.clear()
    for url in (path, f"{path}/clips/{first}/stream", f"{path}/clips/{first}/original"):
        gone = client.get(url)
        assert gone.status_code == 410 and "This link was revoked" in gone.text and "custodian" in gone.text

    sign_in(client)
    expiring = make_share(client, [first], days="3")
    clock.advance(days=3, seconds=-1)
    assert client.get(expiring).status_code == 200
    clock.advance(seconds=1)
    expired = client.get(expiring)
    assert expired.status_code == 410 and "This link was expired" in expired.text
    assert [e.detail for e in _events(ctx) if e.event_type == "share.refused"][-1].count("expired") == 1


def test_token_guessing_is_rate_limited(client, people, ctx, clock, stored):
    sign_in(client)
    good = make_share(client, list(stored))
    for n in range(10):
        assert client.get(f"/review/guess-{n}").status_code == 404
    blocked = client.get(f"/review/guess-{99}")
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert client.get(good).status_code == 429  # even a good link waits: the address is blocked
    clock.advance(minutes=10, seconds=1)
    assert client.get(good).status_code == 200


def test_who_may_make_shares(client, people, stored):
    sign_in(client, username="trooper1")
    response = client.post(
        "/portal/shares", data={"csrf": csrf(client), "recipient": "x", "clip_ids": list(stored)}
    )
    assert response.status_code == 403
    client.cookies.clear()
    sign_in(client)
    forged = client.post("/portal/shares", data={"csrf": "nope", "recipient": "x", "clip_ids": list(stored)})
    assert forged.status_code == 403
    empty = client.post(
        "/portal/shares", data={"csrf": csrf(client), "recipient": "", "clip_ids": list(stored)}
    )
    assert empty.status_code == 422 and "recipient" in empty.text
    unknown = client.post(
        "/portal/shares", data={"csrf": csrf(client), "recipient": "x", "clip_ids": ["0" * 32]}
    )
    assert unknown.status_code == 422 and "not stored" in unknown.text


def test_clip_outside_the_share_is_not_served(client, people, stored):
    sign_in(client)
    first, second = list(stored)
    path = make_share(client, [first], allow_download="1")
    assert client.get(f"{path}/clips/{second}/stream").status_code == 404
    assert client.get(f"{path}/clips/{second}/original").status_code == 404


def test_review_page_players_stream_through_the_server(client, people, stored):
    sign_in(client)
    path = make_share(client, list(stored), allow_download="1")  # only such shares stream originals
    client.cookies.clear()
    response = client.get(path)
    # the link must not leak through Referer, caches or framing
    assert (
        response.headers["referrer-policy"] == "no-referrer"
        and response.headers["cache-control"] == "no-store"
    )
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page = response.text
    sources = re.findall(r'<video[^>]* src="([^"]+)"', page)
    assert sorted(sources) == sorted(f"{path}/clips/{clip_id}/stream" for clip_id in stored)
    for src in sources:
        part = client.get(src, headers={"Range": "bytes=0-9"})
        assert part.status_code == 206 and part.content in {data[:10] for data in stored.values()}


def test_console_plays_and_downloads_are_in_the_clip_trail(client, people, stored):
    sign_in(client)
    first = next(iter(stored))
    assert client.get(f"/portal/clips/{first}/stream", headers={"Range": "bytes=0-99"}).status_code == 206
    original = client.get(f"/portal/clips/{first}/original")
    assert original.content == stored[first]
    assert original.headers["x-content-sha256"] == hashlib.sha256(stored[first]).hexdigest()
    trail = client.get(f"/api/v1/clips/{first}/audit", headers=people.auth("auditor")).json()["items"]
    seen = [
        (e["event_type"], e["actor"], e["detail"]["status"]) for e in trail if "portal" in e["event_type"]
    ]
    assert seen == [
        ("api.portal.clip_stream", "user:custodian1", 206),
        ("api.portal.clip_original", "user:custodian1", 200),
    ]
    sign_in(client, username="trooper1")  # a trooper sees their own clips only
    other = next(c for c, data in stored.items() if data is not stored[first])
    assert client.get(f"/portal/clips/{other}/stream").status_code == 403


def test_guess_limiter_forgets_quiet_addresses(clock):
    from datetime import timedelta

    from ingest_server.shares.limiter import GuessLimiter

    limiter = GuessLimiter(max_failures=2, window=timedelta(minutes=1), clock=clock)
    limiter.max_sources = 3
    for n in range(3):
        limiter.failed(f"10.0.0.{n}")
    limiter.failed("10.0.0.9")
    limiter.failed("10.0.0.9")
    assert limiter.retry_after("10.0.0.9") == 61 and limiter.retry_after("10.0.0.1") is None
    clock.advance(minutes=2)
    limiter.failed("10.0.0.50")
    assert list(limiter._failures) == ["10.0.0.50"]


def test_database_limiter_forgets_quiet_addresses(ctx, clock):
    from datetime import timedelta

    from sqlalchemy import func

    from ingest_server.ratelimit import service as ratelimit
    from ingest_server.ratelimit.models import RateLimit

    rule = ratelimit.Rule("test-guess", 2, timedelta(minutes=1))
    with ctx.sessions() as session:
        for n in range(3):
            ratelimit.claim(session=session, rule=rule, key=f"10.0.0.{n}", now=clock())
        ratelimit.claim(session=session, rule=rule, key="10.0.0.9", now=clock())
        ratelimit.claim(session=session, rule=rule, key="10.0.0.9", now=clock())
        assert ratelimit.claim(session=session, rule=rule, key="10.0.0.9", now=clock()) == 61
        assert ratelimit.blocked(session=session, rule=rule, key="10.0.0.1", now=clock()) is None
        clock.advance(minutes=2)
        ratelimit.claim(session=session, rule=rule, key="10.0.0.50", now=clock())
        keys = session.execute(select(RateLimit.key).where(RateLimit.rule == rule.name)).scalars().all()
        assert keys == ["10.0.0.50"]
        assert session.execute(select(func.count()).select_from(RateLimit)).scalar_one() == 1
