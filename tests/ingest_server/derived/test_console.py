"""The console's redaction and release pages through HTTP (the browser walk is in
tests/portal/test_redaction_browser.py): two custodians, the jobs run here through the worker's
runner and handlers,
the draft streamed for preview, refusals as error pages."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

from tests.ingest_server.derived import inline
from tests.ingest_server.derived.console import signed_in


def test_two_custodians_redact_and_release_through_the_console(ctx, stored_clip, custodians):
    clip_id, data = stored_clip
    first, token1 = signed_in(ctx, "custodian1")
    second, token2 = signed_in(ctx, "custodian2")

    page = first.get(f"/portal/clips/{clip_id}")
    assert page.status_code == 200 and "No derived copy." in page.text and "Start redaction" in page.text
    started = first.post(f"/portal/clips/{clip_id}/redactions", data={"csrf": token1, "reason": "FOIA 17"})
    assert started.status_code == 200 and "scanning" in started.text  # followed to the redaction page
    redaction = re.search(r"/portal/redactions/([0-9a-f]{32})", str(started.url)).group(1)
    assert started.headers.get("refresh") == "1"
    assert 'id="redaction-job"' in started.text and "queued" in started.text
    assert [j.state for j in inline.run_queued(ctx)] == ["done"]
    page = first.get(f"/portal/redactions/{redaction}")
    tracks = re.findall(r'data-track="(t\d+)"', page.text)
    assert len(tracks) >= 2 and page.text.count('src="data:image/jpeg;base64,') == len(tracks)

    assert (
        first.post(
            f"/portal/redactions/{redaction}/tracks/{tracks[-1]}", data={"csrf": token1, "decision": "reject"}
        ).status_code
        == 200
    )
    bad = first.post(
        f"/portal/redactions/{redaction}/boxes",
        data={"csrf": token1, "first": 0, "last": 5, "x1": 50, "y1": 10, "x2": 40, "y2": 90},
    )
    assert bad.status_code == 422 and "inside the 640x360 frame" in bad.text
    first.post(
        f"/portal/redactions/{redaction}/boxes",
        data={"csrf": token1, "how": "hold", "first": 0, "last": 29, "x1": 10, "y1": 10, "x2": 90, "y2": 90},
    )
    first.post(f"/portal/redactions/{redaction}/audio", data={"csrf": token1, "start_s": 0.5, "end_s": 1.0})
    stale = first.post(f"/portal/redactions/{redaction}/render", data={"csrf": "wrong"})
    assert stale.status_code == 403
    first.post(f"/portal/redactions/{redaction}/render", data={"csrf": token1})
    assert [j.state for j in inline.run_queued(ctx)] == ["done"]
    page = first.get(f"/portal/redactions/{redaction}")
    derived = re.search(r"/portal/derived/([0-9a-f]{32})/stream", page.text).group(1)
    sha = re.search(r'id="derived-sha256">([0-9a-f]{64})<', page.text).group(1)
    assert sha != hashlib.sha256(data).hexdigest()
    whole = first.get(f"/portal/derived/{derived}/stream")
    assert whole.status_code == 200 and hashlib.sha256(whole.content).hexdigest() == sha
    part = first.get(f"/portal/derived/{derived}/stream", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == whole.content[:100]

    late = first.post(
        f"/portal/redactions/{redaction}/audio", data={"csrf": token1, "start_s": 0, "end_s": 1}
    )
    assert late.status_code == 409 and "decisions are made in review" in late.text  # the copy is made
    assert first.get("/portal/redactions/" + "0" * 32).status_code == 404
    first.post(f"/portal/derived/{derived}/approve", data={"csrf": token1})
    own = first.post(f"/portal/derived/{derived}/release", data={"csrf": token1})
    assert own.status_code == 409 and "second, different custodian" in own.text
    created = second.post(
        "/portal/records-requests",
        data={"csrf": token2, "requester": "Hartford Courant", "clip_ids": clip_id},
    )
    request_id = re.search(r"/portal/records-requests/([0-9a-f]{32})", str(created.url)).group(1)
    listing = second.get("/portal/records-requests")
    assert "Hartford Courant" in listing.text and re.search(r"9[56] h \d\d min", listing.text)
    waiting = second.get("/portal/releases")
    assert f'data-derived="{derived}"' in waiting.text
    released = second.post(f"/portal/derived/{derived}/release", data={"csrf": token2})
    assert released.status_code == 200 and "released: signed copy" in released.text
    done = second.post(f"/portal/records-requests/{request_id}/release", data={"csrf": token2})
    assert (
        done.status_code == 200
        and 'id="request-state">released<' in done.text
        and "(before the due time)" in done.text
    )
    package = second.get(f"/portal/records-requests/{request_id}/package.zip")
    assert (
        package.status_code == 200
        and hashlib.sha256(package.content).hexdigest() == package.headers["x-content-sha256"]
    )
    names = zipfile.ZipFile(io.BytesIO(package.content)).namelist()
    assert {n.split("/")[1] for n in names} >= {
        "README.txt",
        "SHA256SUMS",
        "release.json",
        f"01_{clip_id}.mp4",
    }

    clip_page = first.get(f"/portal/clips/{clip_id}")
    assert clip_page.text.count('data-derived="') == 2 and "signed-release" in clip_page.text
    assert "derived.released" in clip_page.text  # the clip's audit trail shows the steps
    first.close()
    second.close()


def test_a_trooper_may_not_redact(ctx, stored_clip):
    from ingest_server.auth import service as auth_service

    clip_id, _ = stored_clip
    with ctx.sessions() as session:
        auth_service.create_user(
            session=session, username="trooper1", role="trooper", officer_id="B1", actor="t"
        )
    trooper, token = signed_in(ctx, "trooper1")
    refused = trooper.post(f"/portal/clips/{clip_id}/redactions", data={"csrf": token})
    assert refused.status_code == 403 and "may not redact clips" in refused.text
    assert trooper.get("/portal/records-requests").status_code == 403
    trooper.close()
