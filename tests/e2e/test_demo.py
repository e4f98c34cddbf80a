"""`make demo ONCE=1` runs this same code path: the demo must pass from nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_once_receipts_and_verifies_every_clip(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "demo",
            "--once",
            "--data-dir",
            str(tmp_path / "demo"),
            "--clips",
            "3",
            "--seconds",
            "3",
            "--dashcam-seconds",
            "8",
            "--segment-seconds",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "demo passed: every clip receipted and verified" in done.stderr
    assert done.stdout.count("verified") == 5  # 3 body-camera clips and 2 dashcam segments


def test_demo_summary_shows_every_full_sha256_at_80_columns():
    import io

    from rich.console import Console

    from demo.__main__ import print_table

    clips = [
        {
            "id": "a" * 32,
            "officer_id": "B1234",
            "camera_start": "2026-11-24T10:00:00",
            "sha256": "1" * 60 + "abcd",
        },
        {
            "id": "b" * 32,
            "vehicle_id": "V17",
            "camera_start": "2026-11-24T10:01:00",
            "sha256": "2" * 60 + "ef01",
            "flags": ["truncated"],
        },
    ]
    out = io.StringIO()
    print_table(clips, verified=True, out=Console(file=out, width=80, force_terminal=False))
    text = out.getvalue()
    assert all(len(line) <= 80 for line in text.splitlines())
    for clip in clips:
        assert clip["sha256"] in text  # whole, on one line: never cut to 14 characters
    assert "vehicle V17" in text and "None" not in text and "truncated" in text
    assert text.count("verified") == 2
