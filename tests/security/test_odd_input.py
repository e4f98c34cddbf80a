"""Found 6: odd input gave 5xx, and sometimes no audit row.

Non-ASCII digits in a Range header (`str.isdigit` true, `int` fails) were a 500 on
every download and stream; dates near year 1 or 9999 overflowed (500); NUL or
integers beyond 64 bits in console form fields were a 500 on PostgreSQL; a NUL in a
path parameter was a 500/503 with no audit row at all. What must hold: a clear 4xx
for each, and exactly one audit row per request, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.ingest_server import helpers
from tests.portal.conftest import csrf, sign_in
from tests.portal.test_shares import make_share
from tests.security.conftest import BOTH, api_rows, both_databases_ctx


@pytest.fixture(params=BOTH)
def ctx(request, tmp_path, s3_endpoint, clock):
    context = both_databases_ctx(request, tmp_path, s3_endpoint, clock)
    yield context
    context.engine.dispose()


def _audited_4xx(ctx, send, *args, **kwargs):
    before = api_rows(ctx)
    response = send(*args, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert api_rows(ctx) == before + 1, "each request leaves exactly one audit row"
    return response


# Starlette reads header bytes as Latin-1: these are the bytes whose characters pass
# `str.isdigit` and that `int` cannot read (superscripts)
def _raw_get(app, client, url: str, headers: dict):
    """GET with header bytes sent as they are (the test client re-encodes them as UTF-8)."""

    async def get():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("testclient", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies=dict(client.cookies)
        ) as http:
            return await http.get(url, headers=headers)

    return asyncio.run(get())


ODD_RANGES = ["bytes=²-", "bytes=0-¹", "bytes=-³", "bytes=1²-"]


def test_non_ascii_digits_in_a_range_are_a_clear_416(app, client, ctx, people, stored):
    sign_in(client)
    clip_id = next(iter(stored))
    review = make_share(client, [clip_id], allow_download="1")
    urls = [
        f"/portal/clips/{clip_id}/stream",
        f"/portal/clips/{clip_id}/original",
        f"{review}/clips/{clip_id}/stream",
        f"{review}/clips/{clip_id}/original",
    ]
    for header in ODD_RANGES:
        for url in urls:
            answer = _audited_4xx(ctx, _raw_get, app, client, url, {"Range": header.encode("latin-1")})
            assert answer.status_code == 416
        api = _audited_4xx(
            ctx,
            _raw_get,
            app,
            client,
            f"/api/v1/clips/{clip_id}/original",
            {**people.auth("custodian"), "Range": header.encode("latin-1")},
        )
        assert api.status_code == 416


EDGES = ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00"]


def test_dates_near_year_1_and_9999_are_refused_not_overflowed(client, ctx, people, stored):
    device, custodian = people.auth("device"), people.auth("custodian")
    for when in EDGES:
        for field in ("camera_start", "corrected_start", "corrected_end"):
            data = helpers.clip_bytes(3000, seed=hash((when, field)) % 1000)
            _audited_4xx(ctx, helpers.register, client, device, data, **{field: when})
        for query in ("recorded_from", "recorded_to"):
            _audited_4xx(ctx, client.get, "/api/v1/clips", params={query: when}, headers=custodian)
        for query in ("incident_from", "incident_to"):
            _audited_4xx(ctx, client.get, "/api/v1/reports", params={query: when}, headers=custodian)
        for query in ("since", "until"):
            _audited_4xx(
                ctx, client.get, "/api/v1/audit", params={query: when}, headers=people.auth("auditor")
            )
    sign_in(client)
    for day in ("0001-01-01", "9999-12-31"):
        for query in ("day_from", "day_to"):
            page = _audited_4xx(ctx, client.get, "/portal/clips", params={query: day})
            assert "year" in page.text


def test_nul_and_huge_integers_in_console_forms_are_a_clear_4xx(client, ctx, people, stored):
    clip_id = next(iter(stored))
    _audited_4xx(ctx, client.post, "/portal/sign-in", data={"username": "a\x00b", "password": "x" * 12})
    _audited_4xx(
        ctx, client.post, "/portal/sign-in", data={"username": "custodian1", "password": "\x00" * 12}
    )
    sign_in(client)
    form = {"csrf": csrf(client), "recipient": "ADA Jane Roe", "clip_ids": [clip_id]}
    for extra in (
        {"recipient": "ADA\x00"},
        {"title": "x\x00"},
        {"note": "\x00"},
        {"allow_download": "1", "download_limit": "1" + "0" * 30},
        {"days": "1" + "0" * 30},
        {"days": "9223372036854775808"},
    ):
        _audited_4xx(ctx, client.post, "/portal/shares", data={**form, **extra})
    _audited_4xx(ctx, client.get, "/portal/clips", params={"officer": "B\x001234"})
    _audited_4xx(ctx, client.get, "/portal/clips", params={"page": "1" + "0" * 30})


def test_nul_in_a_path_parameter_is_refused_and_audited(client, ctx, people):
    sign_in(client)
    for url in (
        "/portal/clips/%00abc",
        "/review/%00",
        "/review/abc%00/clips/x/stream",
        "/portal/reports/%00",
    ):
        _audited_4xx(ctx, client.get, url)
    _audited_4xx(ctx, client.get, "/api/v1/clips/%00", headers=people.auth("custodian"))
    _audited_4xx(ctx, client.get, "/api/v1/reports/%00", headers=people.auth("custodian"))
