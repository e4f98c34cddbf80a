"""Fixtures for the firmware profile tests: the built-in profiles and small simulated volumes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

NOW = datetime(2026, 11, 24, 21, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def builtin_profiles():
    from firmware_profiles import load_profiles

    return load_profiles()


def small_volume(profile, out: Path, *, clips: int = 3, seconds: float = 1.0, **kw):
    """A quick simulated volume: tiny frames, low bitrate, fixed 'now' for the clock file."""
    from edge_agent.simulator import simulate_camera

    kw.setdefault("width", 160)
    kw.setdefault("height", 96)
    kw.setdefault("fps", 10)
    kw.setdefault("bitrate", 200_000)
    kw.setdefault("now", lambda: NOW)
    return simulate_camera(profile, out, clips=clips, seconds=seconds, **kw)


def write_profile(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
