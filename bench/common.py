"""Shared benchmark helpers: data generation, timing, medians, peak memory of a child."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "bench-data"
GIB = 1024**3


def data_dir() -> Path:
    DATA.mkdir(exist_ok=True)
    return DATA


def make_file(path: Path, size: int, seed: int = 0) -> Path:
    """Incompressible bytes (hashing speed does not depend on content, disks might)."""
    if path.exists() and path.stat().st_size == size:
        return path
    block = np.random.default_rng(seed).integers(0, 256, 64 * 1024 * 1024, dtype=np.uint8).tobytes()
    with open(path, "wb") as fh:
        written = 0
        while written < size:
            chunk = block[: min(len(block), size - written)]
            fh.write(chunk)
            written += len(chunk)
            block = block[1:] + block[:1]  # no two blocks alike
    return path


def warm(path: Path) -> None:
    """Read a file once so it is in the page cache."""
    with open(path, "rb", buffering=0) as fh:
        buf = bytearray(8 * 1024 * 1024)
        while fh.readinto(buf):
            pass


def timed(cmd) -> float:
    start = time.perf_counter()
    if callable(cmd):
        cmd()
    else:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, shell=isinstance(cmd, str))
    return time.perf_counter() - start


def median(values) -> float:
    return statistics.median(values)


def remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def peak_rss_mb(code: str) -> float:
    """Peak resident memory (MB) of a fresh Python running `code`.

    Read from VmHWM, which belongs to the child's own address space: ru_maxrss
    would carry over the parent's peak from before the fork.
    """
    probe = code + ("\nprint([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024
