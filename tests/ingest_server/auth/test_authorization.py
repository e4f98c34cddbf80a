"""Every role against every endpoint; every denial lands in the audit log.

The table below must list every route of the upload, clip, audit, people, derived
copies and records requests routers (checked), so a new endpoint there cannot
ship without its row. Routers
of other domains (reports, retention, holds, portal, ...) carry their own matrix.
"""

from __future__ import annotations

import itertools

from tests.ingest_server.helpers import clip_bytes, manifest_for, metadata, upload

ROLES = ("admin", "custodian", "auditor", "trooper", "prosecutor", "device")
PUBLIC = frozenset(ROLES) | {"anonymous"}
READERS = {"admin", "custodian", "auditor", "trooper"}
OWN_TAGS = {"uploads", "clips", "audit", "people and devices", "meta", "derived copies", "records requests"}
DERIVED_READERS = {"admin", "custodian", "auditor"}
NO_SUCH = "0" * 32  # a well-formed id of nothing: the guard answers before the lookup (404 if allowed)
counter = itertools.count()


def _body(name: str):
    n = next(counter)
    return {
        "register": lambda: {
            "manifest": manifest_for(clip_bytes(500, seed=n)).as_dict(),
            "metadata": metadata(original_name=f"m{n}.mp4"),
        },
        "complete": lambda: {"parts": [{"part_number": 1, "etag": "x"}]},
        "user": lambda: {"username": f"u{n}", "role": "trooper"},
        "device": lambda: {"name": f"d{n}"},
    }[name]()


# (method, path, body, roles allowed)
MATRIX = [
    ("GET", "/api/v1/health", None, PUBLIC),
    ("GET", "/api/v1/receipt-key", None, PUBLIC),
    ("POST", "/api/v1/uploads/register", "register", {"device"}),
    ("POST", "/api/v1/uploads/{clip}/complete", "complete", {"device"}),
    ("GET", "/api/v1/clips", None, READERS),
    ("GET", "/api/v1/clips/{clip}", None, READERS),
    ("GET", "/api/v1/clips/{clip}/manifest", None, READERS),
    ("GET", "/api/v1/clips/{clip}/thumbnail", None, READERS),
    ("GET", "/api/v1/clips/{clip}/related", None, READERS),
    ("GET", "/api/v1/clips/{clip}/original", None, {"admin", "custodian", "trooper"}),
    ("GET", "/api/v1/clips/{clip}/audit", None, {"admin", "custodian", "auditor"}),
    ("GET", "/api/v1/clips/{clip}/custody.html", None, {"admin", "custodian", "auditor"}),
    ("GET", "/api/v1/clips/{clip}/custody.pdf", None, {"admin", "custodian", "auditor"}),
    ("GET", "/api/v1/audit", None, {"admin", "custodian", "auditor"}),
    ("GET", "/api/v1/audit/verify", None, {"admin", "custodian", "auditor"}),
    ("GET", "/api/v1/me", None, set(ROLES)),
    ("POST", "/api/v1/users", "user", {"admin"}),
    ("GET", "/api/v1/users", None, {"admin"}),
    ("POST", "/api/v1/devices", "device", {"admin"}),
    ("GET", "/api/v1/devices", None, {"admin"}),
    ("GET", "/api/v1/clips/{clip}/derived", None, DERIVED_READERS),
    ("GET", "/api/v1/derived/{derived}", None, DERIVED_READERS),
    ("GET", "/api/v1/derived/{derived}/provenance", None, DERIVED_READERS),
    ("GET", "/api/v1/records-requests", None, DERIVED_READERS),
    ("GET", "/api/v1/records-requests/{request}", None, DERIVED_READERS),
]


def _path_template(path: str) -> str:
    return (
        path.replace("{clip}", "{clip_id}")
        .replace("{derived}", "{derived_id}")
        .replace("{request}", "{request_id}")
    )


def test_matrix_lists_every_route(app):
    served = {
        (m.upper(), path)
        for path, ops in app.openapi()["paths"].items()
        for m, op in ops.items()
        if set(op.get("tags", ["untagged"])) & OWN_TAGS or not op.get("tags")
    }
    listed = {(m, _path_template(p)) for m, p, _, _ in MATRIX}
    assert served == listed


def _denials(client, people, actor: str, method: str, path: str) -> list[dict]:
    found = client.get(
        "/api/v1/audit", headers=people.auth("admin"), params={"actor": actor, "limit": 1000}
    ).json()["items"]
    return [
        e
        for e in found
        if e["detail"].get("path") == path
        and e["detail"].get("method") == method
        and e["outcome"] in ("denied", "unauthenticated")
    ]


def test_every_role_against_every_endpoint(client, people):
    reg, _ = upload(client, people.auth("device"), clip_bytes(700))
    clip = reg["clip_id"]
    outcomes = {}
    for (method, path, body, allowed), role in itertools.product(MATRIX, (*ROLES, "anonymous")):
        url = path.replace("{clip}", clip).replace("{derived}", NO_SUCH).replace("{request}", NO_SUCH)
        headers = {} if role == "anonymous" else people.auth(role)
        response = client.request(method, url, headers=headers, json=_body(body) if body else None)
        outcomes[(method, path, role)] = response.status_code
        if role in allowed:
            assert response.status_code not in (401, 403), (method, path, role, response.text)
            continue
        expected = 401 if role == "anonymous" else 403
        assert response.status_code == expected, (method, path, role, response.status_code, response.text)
        assert response.json()["detail"]
        actor = (
            "anonymous" if role == "anonymous" else ("device:car-17" if role == "device" else f"user:{role}1")
        )
        assert _denials(client, people, actor, method, url), f"denial not audited: {method} {path} {role}"
    # the headline rules of the issue, spelled out
    assert outcomes[("GET", "/api/v1/clips", "device")] == 403
    assert outcomes[("GET", "/api/v1/clips/{clip}", "device")] == 403
    assert outcomes[("GET", "/api/v1/clips", "prosecutor")] == 403
    assert outcomes[("POST", "/api/v1/devices", "auditor")] == 403
    assert outcomes[("POST", "/api/v1/users", "auditor")] == 403


def test_trooper_sees_only_own_clips(client, people):
    mine, _ = upload(client, people.auth("device"), clip_bytes(600, seed=1), officer_id="B1234")
    theirs, _ = upload(client, people.auth("device"), clip_bytes(600, seed=2), officer_id="B9999")
    trooper = people.auth("trooper")
    listed = client.get("/api/v1/clips", headers=trooper).json()
    assert [c["id"] for c in listed["items"]] == [mine["clip_id"]]
    assert client.get("/api/v1/clips", headers=trooper, params={"officer_id": "B9999"}).json()["total"] == 0
    for suffix in ("", "/manifest", "/original"):
        assert client.get(f"/api/v1/clips/{mine['clip_id']}{suffix}", headers=trooper).status_code == 200
        denied = client.get(f"/api/v1/clips/{theirs['clip_id']}{suffix}", headers=trooper)
        assert denied.status_code == 403
        assert _denials(client, people, "user:trooper1", "GET", f"/api/v1/clips/{theirs['clip_id']}{suffix}")


def test_bad_tokens_are_refused_and_audited_without_the_token(client, people):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer evu_not-a-real-token"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    events = client.get(
        "/api/v1/audit", headers=people.auth("auditor"), params={"event_type": "api.auth.me"}
    ).json()["items"]
    failed = [e for e in events if e["outcome"] == "unauthenticated"]
    assert failed and failed[-1]["actor"].startswith("unknown-token:")
    assert "not-a-real-token" not in str(failed[-1])
    assert failed[-1]["source"] == "testclient"
