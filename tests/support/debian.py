"""Tools from Debian's packages that some tests drive (Chromium, poppler's pdftotext, systemd-analyze),
installed with apt-get when missing, as the README's set-up promises; a test that cannot get its tool
skips and says why (no apt-get, not root, the install failed), never silently."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading

import pytest

_LOCK = threading.Lock()
_UPDATED: list[bool] = []


def _apt(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["apt-get", *args],
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def tool(binary: str, package: str) -> str:
    """The path of `binary`, installing Debian's `package` first when it is missing; else skip."""
    found = shutil.which(binary) or (binary if os.path.isabs(binary) and os.path.exists(binary) else None)
    if found:
        return found
    with _LOCK:
        if shutil.which("apt-get") is None:
            pytest.skip(f"{binary} is missing and there is no apt-get to install {package}")
        if os.geteuid() != 0:
            pytest.skip(f"{binary} is missing; installing {package} needs root (apt-get install {package})")
        try:
            if not _UPDATED:
                done = _apt("update")
                if done.returncode != 0:
                    pytest.skip(f"cannot install {package} (apt-get update): {done.stderr.strip()[-300:]}")
                _UPDATED.append(True)
            done = _apt("install", "-y", "--no-install-recommends", package)
            if done.returncode != 0:
                pytest.skip(f"cannot install {package} (apt-get install): {done.stderr.strip()[-300:]}")
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"cannot install {package}: {exc}")
    found = shutil.which(binary) or (binary if os.path.isabs(binary) and os.path.exists(binary) else None)
    if not found:
        pytest.skip(f"apt-get installed {package} but {binary} is still missing")
    return found
