"""Helpers for the agent's tests: simulated cameras, tree fingerprints, the real sha256sum, the CLI."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

from edge_agent.simulator import simulate_camera
from firmware_profiles import get_profile

REPO = Path(__file__).resolve().parents[2]


def simulate(
    profiles, out: Path, *, profile: str = "generic-dcim-bodycam", clips: int = 3, seconds: float = 0.5, **kw
):
    kw.setdefault("width", 160)
    kw.setdefault("height", 96)
    kw.setdefault("bitrate", 200_000)
    return simulate_camera(get_profile(profile, profiles), out, clips=clips, seconds=seconds, **kw)


def sha256sum(path: Path) -> str:
    """The standard tool's answer (coreutils), not ours."""
    out = subprocess.run(["sha256sum", "--", os.fsencode(path)], check=True, capture_output=True).stdout
    return out.split(b" ", 1)[0].decode().lstrip("\\")


def fingerprint(root: Path) -> dict:
    """Every entry under `root` (not following links): type, size, mtime_ns, mode, content hash or link."""
    prints = {}
    root_b = os.fsencode(root)
    for dirpath, dirnames, filenames in os.walk(root_b):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            entry = [stat.S_IFMT(st.st_mode), st.st_mode, st.st_size, st.st_mtime_ns]
            if stat.S_ISREG(st.st_mode):
                with open(full, "rb") as fh:
                    entry.append(hashlib.file_digest(fh, "sha256").hexdigest())
            elif stat.S_ISLNK(st.st_mode):
                entry.append(os.readlink(full))
            prints[os.path.relpath(full, root_b)] = tuple(entry)
    return prints


def agent_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_cli(*args, check: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "edge_agent.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=agent_env(),
        cwd=REPO,
        timeout=timeout,
        check=check,
    )
