"""Run a court package's own checker the way a court would: a fresh Python that cannot see the project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_checker(bag_dir: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -I -S data/custody/verify_package.py` in `bag_dir`, no PYTHON* variables; its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(
        [sys.executable, "-I", "-S", str(Path(bag_dir) / "data" / "custody" / "verify_package.py")],
        cwd=cwd or Path(bag_dir).parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
