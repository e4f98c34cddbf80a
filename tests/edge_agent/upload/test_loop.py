"""The upload loop as a service: it survives a journal that cannot be written, and says so."""

from __future__ import annotations

import sqlite3

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
