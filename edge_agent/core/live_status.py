"""What the agent is doing right now, shared by its threads and saved for `evidence-agent status`.

The journal holds what must survive (clip states, events); this holds what is
live: docked volumes and what was skipped on them, the clip being copied, bytes
per second, and whether offload is paused because the spool is full. `save`
writes `status.json` in the spool atomically, so the status command (another
process) always reads a whole snapshot.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

MAX_SKIPPED_SHOWN = 50
RATE_WINDOW = 10.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RuntimeStatus:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()
        self.started_at = _now()
        self.pid = os.getpid()
        self.volumes: dict[str, dict] = {}
        self.current: dict | None = None
        self.paused: str | None = None
        self.bytes_copied = 0
        self.uvc: dict[str, dict] = {}
        self.upload: dict | None = None  # set by the upload service when a server is configured
        self.threads: dict[str, dict] = {}  # worker name -> {"state", "reason", "since"}

    def volume(self, root: Path, **fields) -> None:
        with self._lock:
            entry = self.volumes.setdefault(
                str(root), {"root": str(root), "docked_at": _now(), "skipped": [], "skipped_total": 0}
            )
            entry.update(fields)

    def skipped(self, root: Path, items: list) -> None:
        with self._lock:
            entry = self.volumes.setdefault(str(root), {"root": str(root), "docked_at": _now()})
            entry["skipped"] = [{"relpath": s.relpath, "reason": s.reason} for s in items[:MAX_SKIPPED_SHOWN]]
            entry["skipped_total"] = len(items)

    def detached(self, root: Path) -> None:
        with self._lock:
            if str(root) in self.volumes:
                self.volumes[str(root)].update(state="detached", detached_at=_now())

    def copying(self, relpath: str | None, done: int = 0, total: int = 0) -> None:
        with self._lock:
            self.current = None if relpath is None else {"relpath": relpath, "done": done, "total": total}

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self.bytes_copied += n
            now = self._clock()
            self._samples.append((now, n))
            while self._samples and now - self._samples[0][0] > RATE_WINDOW:
                self._samples.popleft()

    def thread(self, name: str, state: str, reason: str | None = None) -> None:
        """A worker's health: running, paused (with why), error (last round failed), stopped, died."""
        with self._lock:
            entry = self.threads.get(name)
            if entry is None or entry["state"] != state or entry.get("reason") != reason:
                self.threads[name] = {"state": state, "reason": reason, "since": _now()}

    def thread_state(self, name: str) -> str | None:
        with self._lock:
            entry = self.threads.get(name)
            return entry["state"] if entry else None

    def pause(self, reason: str | None) -> None:
        with self._lock:
            self.paused = reason

    def bytes_per_second(self) -> float:
        now = self._clock()
        recent = [(t, n) for t, n in self._samples if now - t <= RATE_WINDOW]
        if not recent:
            return 0.0
        return sum(n for _, n in recent) / max(now - recent[0][0], 1.0)

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "pid": self.pid,
                "started_at": self.started_at,
                "saved_at": _now(),
                "volumes": [dict(v) for v in self.volumes.values()],
                "current": dict(self.current) if self.current else None,
                "paused": self.paused,
                "bytes_copied": self.bytes_copied,
                "bytes_per_second": round(self.bytes_per_second(), 1),
                "uvc": {k: dict(v) for k, v in self.uvc.items()},
                "upload": dict(self.upload) if self.upload else None,
                "threads": {k: dict(v) for k, v in self.threads.items()},
            }

    def save(self, spool_dir: Path) -> None:
        path = Path(spool_dir) / "status.json"
        tmp = path.with_name(f".status.json.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(self.snapshot(), indent=1, sort_keys=True))
        os.replace(tmp, path)


def load_saved(spool_dir: Path) -> dict | None:
    try:
        return json.loads((Path(spool_dir) / "status.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
