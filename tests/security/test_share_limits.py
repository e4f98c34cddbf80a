"""Found 5: share limits bypassed. The download limit counted only ranges starting at
0, so `Range: bytes=1-` downloaded freely; a view-only share's `/stream` returned the
byte-identical original.

What must hold: every request for an original's bytes counts against the limit,
ranged or not; a view-only (or download-limited) share never streams the original
bytes: a clear 403 page, audited, and the review page shows no player for it.
"""

from __future__ import annotations

from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from tests.portal.conftest import sign_in
from tests.portal.test_shares import make_share


def _served(response, original: bytes) -> int:
    """How many bytes of the original a response handed over."""
    return len(response.content) if response.status_code in (200, 206) and response.content in original else 0


def test_ranged_requests_count_against_the_download_limit(client, people, stored):
    sign_in(client)
    clip_id, data = next(iter(stored.items()))
    limited = make_share(client, [clip_id], allow_download="1", download_limit="2")
    client.cookies.clear()
    answers = [
        client.get(f"{limited}/clips/{clip_id}/original", headers={"Range": f"bytes={start}-"})
        for start in (1, 1, 1, 1)
    ]
    assert [a.status_code for a in answers] == [206, 206, 403, 403]
    assert "download limit of this share (2)" in answers[2].text
    assert client.get(f"{limited}/clips/{clip_id}/original").status_code == 403
    assert client.get(f"{limited}/package.zip").status_code == 403
    # the stream is not a way around the limit either
    streamed = client.get(f"{limited}/clips/{clip_id}/stream", headers={"Range": "bytes=1-"})
    assert streamed.status_code == 403 and _served(streamed, data) == 0


def test_a_view_only_share_never_serves_the_original_bytes(client, people, ctx, stored):
    sign_in(client)
    clip_id, data = next(iter(stored.items()))
    view_only = make_share(client, [clip_id])
    client.cookies.clear()
    page = client.get(view_only)
    assert page.status_code == 200 and "<video" not in page.text and "not streamed" in page.text
    for headers in ({}, {"Range": "bytes=0-"}, {"Range": "bytes=1-"}, {"Range": "bytes=-100"}):
        for what in ("stream", "original"):
            response = client.get(f"{view_only}/clips/{clip_id}/{what}", headers=headers)
            assert response.status_code == 403 and _served(response, data) == 0, (what, headers)
            assert "view-only" in response.text
    assert client.get(f"{view_only}/package.zip").status_code == 403
    with ctx.sessions() as session:
        refused = (
            session.execute(select(AuditEvent).where(AuditEvent.event_type == "share.play_refused"))
            .scalars()
            .all()
        )
    assert len(refused) == 4 and all(e.outcome == "denied" and e.object_id == clip_id for e in refused)
