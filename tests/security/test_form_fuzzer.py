"""The form fuzzer: every console and review form field, query parameter and path
parameter, discovered from the app's own routes, gets NUL, terminal control and
bidi characters, non-ASCII digits, 10^30, dates at years 1 and 9999, a 1 MB string
(60 kB in a URL) and values of the wrong type, on SQLite and PostgreSQL. No answer may be a 5xx,
and every request must leave exactly one audit row (refused ones included).

The API is covered the same way by Schemathesis (tests/ingest_server/test_schemathesis.py).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute

from tests.portal.conftest import csrf, sign_in
from tests.portal.test_reports import REPORT
from tests.portal.test_shares import make_share
from tests.security.conftest import BOTH, api_rows, both_databases_ctx

VALUES = {
    "nul": "B12\x0034",
    "control": "\x1b[2J\x1b[31mB1234\x07",
    "bidi": "B1234\u202e4321\u2066",
    "arabic digits": "١٢٣",
    "superscript digits": "²³",
    "10^30": "1" + "0" * 30,
    "year 1": "0001-01-01",
    "year 9999": "9999-12-31",
    "year 1 time": "0001-01-01T00:00:00+00:00",
    "year 9999 time": "9999-12-31T23:59:59+00:00",
    "1 MB": "x" * 1_000_000,
    "negative": "-1",
    "float": "1.5",
    "list": "[]",
    "bool": "true",
    "empty": "",
}


@pytest.fixture(params=BOTH)
def ctx(request, tmp_path, s3_endpoint, clock):
    context = both_databases_ctx(request, tmp_path, s3_endpoint, clock)
    yield context
    context.engine.dispose()


def _routes(routes):
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's included routers
            yield from _routes(route.original_router.routes)


def _params(dependant, kind: str) -> list:
    found = list(getattr(dependant, kind))
    for sub in dependant.dependencies:
        found += _params(sub, kind)
    return found


def console_and_review_routes(app) -> list[tuple[str, str, list[str], list[str], list[str]]]:
    """(method, path, query names, form names, path names) of every console and review route."""
    out = []
    for route in _routes(app.routes):
        if not route.path.startswith(("/portal", "/review")):
            continue
        names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
        for method in sorted(route.methods):
            out.append(
                (
                    method,
                    route.path,
                    sorted({p.alias for p in _params(route.dependant, "query_params")}),
                    sorted({p.alias for p in _params(route.dependant, "body_params")}),
                    names,
                )
            )
    return sorted(out, key=lambda r: (r[1] == "/portal/sign-out", r[1], r[0]))  # sign-out last


def test_every_console_and_review_input_is_answered_below_500_and_audited(
    app, client, ctx, people, stored, clock
):
    routes = console_and_review_routes(app)
    fields = sum(len(q) + len(f) + len(p) for _, _, q, f, p in routes)
    assert len(routes) >= 25 and fields >= 60, (len(routes), fields)  # the discovery found the console

    report = client.post("/api/v1/reports", json=REPORT, headers=people.auth("custodian")).json()["id"]
    sign_in(client)
    share_path = make_share(client, list(stored), allow_download="1")
    share_id = client.get("/portal/shares").text.split("/portal/shares/")[1][:32]
    clip_id = next(iter(stored))
    good_path = {
        "clip_id": clip_id,
        "report_id": report,
        "hold_id": "0" * 32,
        "share_id": share_id,
        "request_id": "0" * 32,
        "token": share_path.rsplit("/", 1)[1],
        "rest": "x",
    }
    good_form = {
        "csrf": None,  # filled per request
        "username": "trooper1",
        "password": "wrong password!!",
        "clip_id": clip_id,
        "clip_ids": clip_id,
        "recipient": "ADA Jane Roe",
        "title": "State v. Doe",
        "reason": "fuzzing",
        "matter": "State v. Doe",
        "decision": "approve",
        "days": "3",
        "download_limit": "",
    }
    seen, problems = 0, []

    def send(method, path, query, form, path_values):
        nonlocal seen
        url = path
        for name, value in path_values.items():
            url = re.sub(r"{" + name + r"(?::\w+)?}", quote(value, safe=""), url)
        if form and "csrf" in form and form["csrf"] is None:
            form = {**form, "csrf": csrf(client)}
        before = api_rows(ctx)
        response = client.request(
            method, url, params=query or None, data=form or None, follow_redirects=False
        )
        seen += 1
        rows = api_rows(ctx) - before
        if response.status_code >= 500 or rows != 1:
            problems.append((method, path, response.status_code, rows, response.text[:120]))
        if response.status_code == 429:  # the per-address sign-in limit: let its window pass
            clock.advance(minutes=11)
        if response.status_code == 303 and "/portal/sign-in" in response.headers.get("location", ""):
            clock.advance(minutes=11)
            sign_in(client)  # the fuzzed request ended the session (sign-out): sign in again

    for method, path, queries, forms, names in routes:
        base_path = {n: good_path.get(n, "0" * 32) for n in names}  # a new route's id: a well-formed one
        base_form = {f: good_form.get(f, "x") for f in forms}
        for label, value in VALUES.items():
            for q in queries:  # a URL holds at most 64 KiB (httpx; servers refuse less)
                send(method, path, {q: value[:60_000]}, base_form, base_path)
            for f in forms:
                send(method, path, {}, {**base_form, f: value}, base_path)
            for n in names:
                if value and label != "1 MB":  # a URL path of 1 MB is refused by any HTTP server
                    send(method, path, {}, base_form, {**base_path, n: value})
    assert not problems, sorted({(m, p, s) for m, p, s, _, _ in problems})
    assert seen >= fields * 10
