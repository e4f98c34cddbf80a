"""Two completions of one clip: the agent's completion times out while the server still
assembles and verifies it, and the agent asks again. The real agent uploader against the
real app over HTTP (uvicorn on loopback) and the real store; only the store calls are
wrapped, to hold the first completion at the moment the race needs (no timing asserts)."""

from __future__ import annotations

import json
import os
import threading

import pytest

from edge_agent.core.clip_state import ClipState
from edge_agent.core.journal import Journal
from edge_agent.core.receipts import load_key
from edge_agent.upload.server_client import ServerClient
from edge_agent.upload.uploader import Uploader
from hashing import MIN_PART_SIZE, Manifest, copy_and_hash
from ingest_server.app import create_app
from ingest_server.clips.models import STORED, VERIFYING, Clip
from ingest_server.uploads import complete as complete_service
from tests.ingest_server.helpers import clip_bytes, put_parts, register
from tests.support.live_server import LiveServer
from tests.support.media import mp4_like
from tests.support.polling import wait_until


def _spooled_clip(journal: Journal, root, size: int) -> int:
    src, dst = root / "FILE0001.MP4", root / "FILE0001.MP4.spool"
    src.write_bytes(mp4_like(os.urandom(size)))
    digest = copy_and_hash(src, dst, MIN_PART_SIZE)
    return journal.add_spooled(
        source_key="CAM1/FILE0001.MP4",
        device_serial="CAM1",
        relpath="FILE0001.MP4",
        size=src.stat().st_size,
        spool_path=str(dst),
        sha256=digest.sha256,
        manifest_json=Manifest.from_digest(digest).dumps(),
        metadata_json={"original_name": "FILE0001.MP4", "officer_id": "B1234"},
    )


@pytest.fixture
def held_completion(ctx, monkeypatch):
    """The first completion assembles the object, then waits until a second completion has
    looked at the clip (read it, or been answered), then holds the clip in `verifying` until
    `release` is set. Everything after the first store call is the real server."""
    ctx.settings = ctx.settings.model_copy(update={"completion_retry_after_seconds": 0})
    second_looked, release = threading.Event(), threading.Event()
    counts = {"check": 0, "complete": 0, "store_complete": 0, "head": 0}
    real_check, real_complete = complete_service._check_part_list, complete_service.complete
    real_store_complete, real_head = ctx.storage.complete, ctx.storage.head

    def check(*args):
        counts["check"] += 1
        if counts["check"] == 2:  # the second completion read the clip as still uploading
            second_looked.set()
        return real_check(*args)

    def complete(**kwargs):
        counts["complete"] += 1
        try:
            return real_complete(**kwargs)
        finally:
            if counts["complete"] == 2:
                second_looked.set()

    def store_complete(*args):
        counts["store_complete"] += 1
        version = real_store_complete(*args)
        if counts["store_complete"] == 1:
            assert second_looked.wait(60), "the agent never asked complete a second time"
        return version

    def head(*args):
        counts["head"] += 1
        if counts["head"] == 1:
            assert release.wait(120), "the test never released the first completion"
        return real_head(*args)

    monkeypatch.setattr(complete_service, "_check_part_list", check)
    monkeypatch.setattr(complete_service, "complete", complete)
    monkeypatch.setattr(ctx.storage, "complete", store_complete)
    monkeypatch.setattr(ctx.storage, "head", head)
    yield release
    release.set()


def test_a_completion_racing_a_verifying_one_never_resends_parts_nor_quarantines(
    ctx, people, tmp_path, held_completion
):
    live = LiveServer(create_app(context=ctx), "uvicorn-race")
    url = live.start()
    journal = Journal(tmp_path / "journal.sqlite")
    clip_id = _spooled_clip(journal, tmp_path, 2 * MIN_PART_SIZE + 999)
    client = ServerClient(url, people["device"], timeout=1.0)  # the first completion times out
    up = Uploader(journal, client, lambda: load_key(ctx.signer.public_key_pem), attempts=3)
    puts_after_first_round = []
    try:
        assert up.run_once() == 0, "the first completion is still held: no receipt yet"
        real_put = client.put_part
        client.put_part = lambda *a, **kw: puts_after_first_round.append(a[0]) or real_put(*a, **kw)
        for _ in range(up.max_refusals):  # rounds while the first completion still verifies
            up.run_once()
            assert journal.get(clip_id).state != ClipState.QUARANTINED, journal.get(clip_id).quarantine_reason
        assert puts_after_first_round == [], "no part may be PUT into an assembled upload"

        held_completion.set()  # the first completion finishes its checks and stores the clip

        def stored():
            with ctx.sessions() as session:
                clip = session.get(Clip, journal.get(clip_id).server_clip_id)
                return clip.version_id if clip.state == STORED else None

        version = wait_until(stored, 60, "the first completion to store the clip")
        assert up.run_once() == 1
    finally:
        up.close()
        client.close()
        live.stop()
    row = journal.get(clip_id)
    assert row.state == ClipState.RECEIPTED
    assert json.loads(row.receipt_json)["receipt"]["version_id"] == version
    journal.close()


def test_a_completion_finding_the_upload_assembled_by_another_process_says_verifying(
    client, people, ctx, monkeypatch
):
    data = clip_bytes(4000, seed=3)
    reg = register(client, people.auth("device"), data).json()
    etags = put_parts(reg, data)
    real_complete = ctx.storage.complete
    assembled = {}

    def another_process_first(key, upload_id, triples):
        assembled["version"] = real_complete(key, upload_id, triples)  # the other completion
        with ctx.sessions() as session:
            clip = session.get(Clip, reg["clip_id"])
            clip.state, clip.version_id = VERIFYING, assembled["version"]
            session.commit()
        return real_complete(key, upload_id, triples)  # ours: the store's upload is finished

    monkeypatch.setattr(ctx.storage, "complete", another_process_first)
    path = f"/api/v1/uploads/{reg['clip_id']}/complete"
    busy = client.post(path, headers=people.auth("device"), json={"parts": etags})
    assert busy.status_code == 409, busy.text
    assert busy.json()["state"] == "verifying" and "expected" not in busy.json()
    assert busy.headers["Retry-After"] == str(busy.json()["retry_after"])
    again = register(client, people.auth("device"), data).json()
    assert again["state"] == "verifying" and again["parts"] == []

    monkeypatch.setattr(ctx.storage, "complete", real_complete)
    done = client.post(path, headers=people.auth("device"), json={"parts": etags})  # nobody holds it now
    assert done.status_code == 200, done.text
    assert done.json()["receipt"]["version_id"] == assembled["version"]
