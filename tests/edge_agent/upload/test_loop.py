"""The upload loop as a service: it survives a journal that cannot be written, and says so."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge_agent.core.clip_state import ClipState
from edge_agent.status_report import build_status, render
from edge_agent.upload.part_ledger import PartLedger
from tests.support.polling import wait_for


def test_a_full_disk_pauses_the_uploader_which_resumes_when_space_returns(upload_env, monkeypatch):
    # Issue 16 Found 1: PartLedger.record raised "database or disk is full", the loop's handler
    # raised again while journaling the error, and the uploader thread ended for good.
    ids = [upload_env.add(f"CLIP{n}") for n in range(3)]
    disk = {"full": True, "tries": 0}
    real_record, real_event = PartLedger.record, upload_env.journal.record_event
    real_failure = upload_env.journal.note_failure

    def full(real):
        def write(*args, **kwargs):
            if disk["full"]:
                disk["tries"] += 1
                raise sqlite3.OperationalError("database or disk is full")
            return real(*args, **kwargs)

        return write

    monkeypatch.setattr(PartLedger, "record", full(real_record))
    monkeypatch.setattr(upload_env.journal, "record_event", full(real_event))
    monkeypatch.setattr(upload_env.journal, "note_failure", full(real_failure))
    svc = upload_env.service()
    rounds = {"n": 0}
    real_run_once = svc.uploader.run_once

    def counted():
        rounds["n"] += 1
        return real_run_once()

    monkeypatch.setattr(svc.uploader, "run_once", counted)
    svc.start()

    assert wait_for(lambda: rounds["n"] >= 3, timeout=30), f"the uploader stopped trying: {rounds} {disk}"
    assert svc._thread.is_alive() and disk["tries"] > 0
    health = upload_env.status.threads["uploader"]
    assert health["state"] == "paused" and "database or disk is full" in health["reason"]
    upload_env.status.save(upload_env.spool)
    assert "uploader PAUSED: journal cannot be written" in render(build_status(upload_env.spool))

    disk["full"] = False  # the other writer freed its space
    receipted = lambda: all(upload_env.journal.get(i).state == ClipState.RECEIPTED for i in ids)  # noqa: E731
    assert wait_for(receipted, timeout=30), [upload_env.journal.get(i).state for i in ids]
    assert wait_for(lambda: upload_env.status.threads["uploader"]["state"] == "running", timeout=10)
    assert sorted(upload_env.server.completed) == sorted(upload_env.journal.get(i).sha256 for i in ids)


def test_a_clip_the_server_refuses_for_good_is_quarantined_after_bounded_tries(upload_env):
    # Issue 16 Found 11: a non-retryable 4xx was retried every round and never quarantined.
    bad, good = upload_env.add("BAD"), upload_env.add("GOOD")
    upload_env.server.refused[upload_env.journal.get(bad).sha256] = 422
    svc = upload_env.service(max_attempts=3)
    for _ in range(6):
        svc.uploader.run_once()
    row = upload_env.journal.get(bad)
    assert row.state == ClipState.QUARANTINED, (row.state, row.attempts, row.error)
    assert "refused it 3 times in a row (HTTP 422" in row.quarantine_reason
    assert upload_env.journal.get(good).state == ClipState.RECEIPTED
    assert upload_env.server.calls.count("register") == 3 + 1  # three refusals, then left alone
    assert Path(row.spool_path).is_file()  # kept
    report = render(build_status(upload_env.spool))
    assert f"QUARANTINED clip {bad} 'DCIM/BAD.MP4': the server refused it 3 times" in report


def test_a_revoked_token_pauses_uploads_with_a_clear_status_and_resumes_with_a_new_one(upload_env):
    # Issue 16 Found 11: a revoked device token (401) counted as clip failures instead of pausing uploads.
    upload_env.server.revoked.add("device-token")
    ids = [upload_env.add(f"CLIP{n}") for n in range(2)]
    svc = upload_env.service()
    svc.start()
    assert wait_for(lambda: upload_env.journal.events(kinds=["token_refused"]), timeout=30)
    assert [upload_env.journal.get(i).attempts for i in ids] == [0, 0], "a refused token is no clip's fault"
    assert wait_for(lambda: upload_env.status.threads["uploader"]["state"] == "paused", timeout=10)
    assert "refused this device's token" in upload_env.status.threads["uploader"]["reason"]
    upload_env.status.save(upload_env.spool)
    text = render(build_status(upload_env.spool))
    assert "uploader PAUSED: uploads paused: the server refused this device's token" in text

    (upload_env.spool.parent / "token").write_text("new-device-token")  # enrolled again
    receipted = lambda: all(upload_env.journal.get(i).state == ClipState.RECEIPTED for i in ids)  # noqa: E731
    assert wait_for(receipted, timeout=30)
    assert upload_env.server.token == "new-device-token"
    assert wait_for(lambda: upload_env.status.threads["uploader"]["state"] == "running", timeout=10)
