"""`evidence-agent status` stays readable whatever the journal holds."""

from __future__ import annotations

import sqlite3

from edge_agent.core.journal import Journal, now_iso
from edge_agent.status_report import SHOWN, build_status, render
from tests.support.agent import run_cli


def test_status_of_ten_thousand_unplayable_clips_is_bounded(tmp_path):
    # Issue 16 Found 9: 10,026 lines for a volume of 10,000 tiny unplayable clips.
    spool = tmp_path / "spool"
    Journal(spool / "journal.sqlite").close()
    stamp = now_iso()
    manifest = '{"size": 1}'
    db = sqlite3.connect(spool / "journal.sqlite")
    with db:
        db.executemany(
            "INSERT INTO clips (source_key, relpath, state, spool_path, sha256, manifest_json, flags_json,"
            " created_at, updated_at) VALUES (?, ?, 'SPOOLED', ?, ?, ?, '[\"unplayable\"]', ?, ?)",
            [
                (f"k{n}", f"DCIM/{n:05}.MP4", f"/s/{n}", f"{n:064x}", manifest, stamp, stamp)
                for n in range(10_000)
            ],
        )
        db.executemany(
            "INSERT INTO clips (source_key, relpath, state, attempts, error, created_at, updated_at)"
            " VALUES (?, ?, 'DISCOVERED', 2, 'still changing', ?, ?)",
            [(f"d{n}", f"DCIM/D{n:05}.MP4", stamp, stamp) for n in range(3_000)],
        )
        db.executemany(
            "INSERT INTO clips (source_key, relpath, state, quarantine_reason, created_at, updated_at)"
            " VALUES (?, ?, 'QUARANTINED', 'unreadable', ?, ?)",
            [(f"q{n}", f"DCIM/Q{n:05}.MP4", stamp, stamp) for n in range(2_000)],
        )
    db.close()
    text = run_cli("status", "--spool", spool).stdout
    assert len(text.splitlines()) < 80, len(text.splitlines())
    assert f"... and {10_000 - SHOWN} more flagged clip(s)" in text
    assert f"... and {3_000 - SHOWN} more clip(s) waiting to retry" in text
    assert f"... and {2_000 - SHOWN} more quarantined clip(s)" in text
    assert "clips: DISCOVERED 3000, SPOOLED 10000, QUARANTINED 2000" in text
    report = build_status(spool)
    assert len(report["flagged"]) == SHOWN and report["flagged_total"] == 10_000
    assert len(render(report).splitlines()) == len(text.splitlines())
