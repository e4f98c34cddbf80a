"""The journal: durable settings, guarded transitions, and no half-recorded SPOOLED row."""

from __future__ import annotations

import sqlite3

import pytest

from edge_agent.core.clip_state import ClipState
from edge_agent.core.journal import Journal, JournalError


def _discover(journal: Journal, key: str = "k1") -> int:
    return journal.discover([{"source_key": key, "relpath": "DCIM/a.MP4", "size": 3, "mtime_ns": 1}])[key]


def test_journal_is_wal_with_full_sync(tmp_path):
    with Journal(tmp_path / "j.sqlite") as journal:
        assert journal._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_transition_sets_fields_and_survives_reopen(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        cid = _discover(journal)
        journal.transition(
            cid,
            "DISCOVERED",
            "SPOOLED",
            spool_path="/s/1.mp4",
            sha256="ab" * 32,
            manifest_json={"size": 3},
            flags_json=["truncated"],
        )
    with Journal(path) as journal:
        row = journal.get(cid)
        assert (row.state, row.spool_path, row.flags, row.manifest) == (
            "SPOOLED",
            "/s/1.mp4",
            ["truncated"],
            {"size": 3},
        )
        assert journal.counts()["SPOOLED"] == 1


def test_transition_refused_from_the_wrong_state(tmp_path):
    with Journal(tmp_path / "j.sqlite") as journal:
        cid = _discover(journal)
        with pytest.raises(JournalError, match="is DISCOVERED, not SPOOLED"):
            journal.transition(cid, "SPOOLED", "REGISTERED")
        with pytest.raises(JournalError, match="not allowed"):
            journal.transition(cid, "DISCOVERED", "RELEASED")
        with pytest.raises(JournalError, match="does not exist"):
            journal.transition(999, "DISCOVERED", "SPOOLED", spool_path="x", sha256="y", manifest_json="{}")
        assert journal.get(cid).state == "DISCOVERED"


def test_spooled_without_hash_or_copy_is_refused(tmp_path):
    with Journal(tmp_path / "j.sqlite") as journal:
        cid = _discover(journal)
        with pytest.raises(JournalError, match="refused by the journal"):
            journal.transition(cid, "DISCOVERED", "SPOOLED", spool_path="/s/1.mp4")
        with pytest.raises(JournalError, match="refused by the journal"):
            journal.transition(cid, "DISCOVERED", "QUARANTINED")  # a quarantine needs its reason
        assert journal.get(cid).state == "DISCOVERED"


def test_discover_is_idempotent_on_the_source_key(tmp_path):
    with Journal(tmp_path / "j.sqlite") as journal:
        first = _discover(journal)
        journal.transition(first, "DISCOVERED", "QUARANTINED", quarantine_reason="unreadable")
        assert _discover(journal) == first
        assert journal.get(first).state == "QUARANTINED"
        assert len(journal.clips()) == 1


def test_rows_cannot_be_deleted_by_a_bad_column(tmp_path):
    with Journal(tmp_path / "j.sqlite") as journal:
        cid = _discover(journal)
        with pytest.raises(JournalError, match="unknown journal column"):
            journal.transition(cid, "DISCOVERED", "DISCOVERED", **{"state = 'RELEASED', id": 1})
        with pytest.raises(sqlite3.IntegrityError):
            journal._db.execute("UPDATE clips SET state = 'LOST' WHERE id = ?", (cid,))


def test_events_are_kept_newest_first(tmp_path):
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.record_event("skipped", "FIFO (special file skipped)", "DCIM/pipe.MP4")
        journal.record_event("spool_full", "spool full: paused")
        assert [e["kind"] for e in journal.events()] == ["spool_full", "skipped"]
        assert journal.events(kinds=["skipped"])[0]["path"] == "DCIM/pipe.MP4"


def test_states_are_stored_as_the_same_strings_and_read_back_as_clip_state(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        cid = _discover(journal)
        journal.transition(cid, ClipState.DISCOVERED, ClipState.QUARANTINED, quarantine_reason="unreadable")
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT state, typeof(state) FROM clips").fetchone() == ("QUARANTINED", "text")
    # A row as an agent before the enum wrote it: a bare string.
    raw.execute("UPDATE clips SET state = 'DISCOVERED', quarantine_reason = NULL")
    raw.commit()
    raw.close()
    with Journal(path) as journal:
        row = journal.get(cid)
        assert row.state is ClipState.DISCOVERED and row.state == "DISCOVERED"
        assert journal.counts()["DISCOVERED"] == 1
