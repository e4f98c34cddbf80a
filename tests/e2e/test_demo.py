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
