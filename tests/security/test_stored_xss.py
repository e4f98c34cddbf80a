"""Found 1: a device (a stolen car) uploads a "clip" that is really an HTML page or an
SVG with script, and the console serves it inline in its own origin.

What must hold: the server decides what an original is from the stored bytes
(a whitelist of video containers); anything else is refused at completion with a
clear 422; whatever is served carries nosniff and a CSP sandbox; downloads are
attachments; a truncated but real MP4 is still accepted.
"""

from __future__ import annotations

import pytest

from edge_agent.simulator import encode_clip
from ingest_server.uploads import complete as complete_service
from tests.ingest_server import helpers
from tests.portal.conftest import sign_in

PAGE = b"<!doctype html><html><body><script>fetch('/portal/shares')</script></body></html>" * 20
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>' * 20


def _register_and_put(client, people, data: bytes, name: str) -> tuple[str, list[dict]]:
    reg = helpers.register(client, people.auth("device"), data, original_name=name, container=None)
    assert reg.status_code == 200, reg.text
    body = reg.json()
    return body["clip_id"], helpers.put_parts(body, data)


@pytest.mark.parametrize(("data", "name"), [(PAGE, "X.html"), (SVG, "X.svg")])
def test_a_device_cannot_store_a_page_as_a_clip(client, people, data, name):
    clip_id, etags = _register_and_put(client, people, data, name)
    done = client.post(
        f"/api/v1/uploads/{clip_id}/complete", headers=people.auth("device"), json={"parts": etags}
    )
    assert done.status_code == 422, done.text
    assert "not a video container" in done.json()["detail"]
    sign_in(client)
    served = client.get(f"/portal/clips/{clip_id}/stream")
    assert served.status_code == 409  # rejected, never stored: nothing to play
    assert b"<script>" not in served.content


def test_bytes_stored_before_the_check_are_never_served_as_a_page(client, people, monkeypatch):
    # a server that stored the page before the check existed: it is still served as opaque bytes
    monkeypatch.setattr(complete_service, "refusal", lambda head, allowed: None)
    clip_id, etags = _register_and_put(client, people, PAGE, "X.html")
    done = client.post(
        f"/api/v1/uploads/{clip_id}/complete", headers=people.auth("device"), json={"parts": etags}
    )
    assert done.status_code == 200, done.text
    sign_in(client)
    for url in (f"/portal/clips/{clip_id}/stream", f"/portal/clips/{clip_id}/original"):
        served = client.get(url)
        assert served.status_code == 200 and served.content == PAGE
        assert served.headers["content-type"] == "application/octet-stream"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in served.headers["content-security-policy"]


def test_originals_carry_nosniff_sandbox_and_downloads_are_attachments(client, people, stored):
    sign_in(client)
    clip_id = next(iter(stored))
    stream = client.get(f"/portal/clips/{clip_id}/stream")
    original = client.get(f"/portal/clips/{clip_id}/original")
    api = client.get(f"/api/v1/clips/{clip_id}/original", headers=people.auth("custodian"))
    assert stream.headers["content-type"] == "video/mp4"  # read from the bytes (an ftyp box)
    for response in (stream, original, api):
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("sandbox")
    for response in (original, api):
        assert response.headers["content-disposition"].startswith("attachment;")


def test_a_truncated_real_mp4_is_still_accepted_and_kept_flagged(client, people, tmp_path):
    path = tmp_path / "whole.mp4"
    encode_clip(path, 1.0, width=64, height=48, fps=10)
    whole = path.read_bytes()
    cut = whole[: len(whole) // 2]  # the camera was pulled out mid-write
    reg, _ = helpers.upload(client, people.auth("device"), cut, flags=["truncated"], container=None)
    sign_in(client)
    clip = client.get(f"/api/v1/clips/{reg['clip_id']}", headers=people.auth("custodian")).json()
    assert clip["state"] == "stored" and "truncated" in clip["flags"]
    served = client.get(f"/portal/clips/{reg['clip_id']}/stream")
    assert served.headers["content-type"] == "video/mp4" and served.content == cut


def test_a_recording_cut_off_in_its_first_bytes_is_kept_as_opaque_bytes(client, people):
    reg, _ = helpers.upload(client, people.auth("device"), b"\x00\x00\x00", container=None)
    sign_in(client)
    served = client.get(f"/portal/clips/{reg['clip_id']}/stream")
    assert served.status_code == 200 and served.content == b"\x00\x00\x00"
    assert served.headers["content-type"] == "application/octet-stream"
