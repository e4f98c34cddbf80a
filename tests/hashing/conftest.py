"""Helpers for hashing tests: deterministic file contents of any size."""

from __future__ import annotations

import os
import random

import pytest


def pattern(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.fixture
def make_file(tmp_path):
    def _make(size: int, name: str | None = None, seed: int = 1):
        path = tmp_path / (name or f"f{size}-{seed}.bin")
        path.write_bytes(pattern(size, seed))
        os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
        return path

    return _make
