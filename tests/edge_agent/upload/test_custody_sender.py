"""The car's custody events go to the server after the receipt, signed by the device key; a crash
between the post and the journal re-sends the same bytes; release events follow in a later post."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization

from edge_agent.core.clip_state import ClipState
from edge_agent.core.custody import CustodyLog
from edge_agent.core.device_key import canonical


def _verify(pem: str, event: dict) -> None:
    key = serialization.load_pem_public_key(pem.encode())
    key.verify(base64.b64decode(event["signature"]), canonical(event["payload"]))  # raises if forged


def test_events_are_sent_signed_after_the_receipt_and_release_events_later(upload_env):
    clip = upload_env.add("CLIP1")
    svc = upload_env.service()
    svc.uploader.run_once()
    assert upload_env.journal.get(clip).state == ClipState.RECEIPTED
    svc.after_upload()
    row = upload_env.journal.get(clip)
    [first] = upload_env.server.custody_posts
    kinds = [upload_env.server.custody[s]["payload"]["kind"] for s in first]
    assert kinds == ["segment_closed", "registered", "receipt_received"]
    for seq in first:
        sent = upload_env.server.custody[seq]
        _verify(upload_env.server.device_key_pem, sent)
        assert sent["clip_id"] == row.server_clip_id and sent["payload"]["clip_sha256"] == row.sha256
    receipt = upload_env.server.custody[first[-1]]["payload"]["details"]
    assert receipt["sha256"] == row.sha256 and receipt["receipt_signature"] in row.receipt_json

    svc.after_upload()
    assert len(upload_env.server.custody_posts) == 1, "nothing new: nothing sent"
    upload_env.journal.transition(
        clip,
        ClipState.RECEIPTED,
        ClipState.RELEASED,
        release_action="delete: deleted from camera after receipt",
    )
    svc.after_upload()
    second = upload_env.server.custody_posts[1]
    assert [upload_env.server.custody[s]["payload"]["kind"] for s in second] == ["camera_copy_deleted"]
    assert second[0] > max(first)
    _verify(upload_env.server.device_key_pem, upload_env.server.custody[second[0]])


def test_a_crash_between_the_post_and_the_journal_resends_the_same_signed_events(upload_env, monkeypatch):
    clip = upload_env.add("CLIP2")
    svc = upload_env.service()
    svc.uploader.run_once()

    def power_lost(self, seqs, at):
        raise SystemExit("power lost")

    with monkeypatch.context() as m:
        m.setattr(CustodyLog, "mark_sent", power_lost)
        with pytest.raises(SystemExit):
            svc.custody.send()
    [posted] = upload_env.server.custody_posts
    held = {s: dict(upload_env.server.custody[s]) for s in posted}
    assert all(e.sent_at is None for e in upload_env.journal.custody_log.events(clip))

    restarted = upload_env.service()  # the agent starts again: same journal, same key file
    restarted.after_upload()
    assert upload_env.server.custody_posts[1] == posted
    assert {s: upload_env.server.custody[s] for s in posted} == held  # byte for byte the same, signed once
    assert all(e.sent_at for e in upload_env.journal.custody_log.events(clip))


def test_a_different_key_on_the_server_keeps_the_events_waiting_and_says_so(upload_env):
    upload_env.server.device_key_pem = "-----BEGIN PUBLIC KEY-----\nother\n-----END PUBLIC KEY-----\n"
    clip = upload_env.add("CLIP3")
    svc = upload_env.service()
    svc.uploader.run_once()
    svc.after_upload()
    svc.after_upload()
    assert upload_env.server.custody_posts == []
    assert all(e.sent_at is None for e in upload_env.journal.custody_log.events(clip))
    said = upload_env.journal.events(kinds=["custody_waiting"])
    assert len(said) == 1 and "device key was not accepted" in said[0]["message"]
