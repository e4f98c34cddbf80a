"""Dock watcher: which volumes are docked, and which of their files are ready to offload.

A docked volume is a mount point under a configured mount root (read from the
mount table, `/proc/self/mounts`) or a folder directly under a root that holds no
mount point (how a simulated camera, or an auto-mounter's plain folder, docks).
watchdog on the roots wakes the watcher at once when something appears; the
mount table and the roots are also re-read every `rescan_seconds`, because
inotify does not see every mount on removable media.

On attach the whole volume is scanned (files already there give no events), then
re-scanned every `rescan_seconds`, and sooner when a waiting file is due to become
quiet. A volume whose files (path, size, mtime) are unchanged since the last scan,
with nothing waiting, is rescanned less and less often (the interval doubles, up
to `BACKOFF_MAX` x `rescan_seconds`; any change resets it), and the watcher thread
runs at a lower CPU priority, so rescans of a 10,000-file volume do not starve
the uploads. A file is handed on only once its size and mtime have not changed for
`quiet_seconds` (clock injected, so tests need no sleeping). Detach is reported
and the volume forgotten; its clips stay in the journal and are retried when it
docks again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from edge_agent.dock.scan import QuietTracker, ScanResult, SourceFile, scan_volume

log = logging.getLogger(__name__)

OnScan = Callable[[Path, list[SourceFile], list[SourceFile], ScanResult], None]


def _unescape(field: str) -> str:
    # /proc/self/mounts escapes space, tab, newline and backslash as \ooo
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 4 <= len(field) and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def read_mount_points(mounts_file: Path) -> list[Path]:
    try:
        text = Path(mounts_file).read_text(errors="surrogateescape")
    except OSError:
        return []
    return [Path(_unescape(line.split()[1])) for line in text.splitlines() if len(line.split()) >= 2]


def _under(path: Path, root: Path) -> bool:
    return path != root and path.is_relative_to(root)


def find_volumes(roots: Iterable[Path], mounts_file: Path) -> set[Path]:
    roots = [Path(r) for r in roots]
    mounts = [m for m in read_mount_points(mounts_file) if any(_under(m, r) for r in roots)]
    volumes = set(mounts)
    for root in roots:
        try:
            children = [
                c for c in root.iterdir() if not c.name.startswith(".") and c.is_dir() and not c.is_symlink()
            ]
        except OSError:
            continue
        for child in children:
            if not any(m == child or _under(m, child) for m in mounts):
                volumes.add(child)
    return volumes


BACKOFF_MAX = 16  # an unchanged volume is rescanned at most every 16 x rescan_seconds
SCAN_NICENESS = 10  # the scanning thread's priority below the uploader's (Linux: per thread)


def _lower_priority() -> None:
    """Rescans of a big volume yield the CPU to uploads: this thread only, best effort."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SCAN_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: scans still run, at normal priority
        pass


class DockWatcher(threading.Thread):
    def __init__(
        self,
        roots: Iterable[Path],
        *,
        on_attach: Callable[[Path], None],
        on_detach: Callable[[Path], None],
        on_scan: OnScan,
        quiet_seconds: float,
        rescan_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        mounts_file: Path = Path("/proc/self/mounts"),
        use_watchdog: bool = True,
        stop: threading.Event | None = None,
    ):
        super().__init__(name="dock-watcher", daemon=True)
        self.roots = [Path(r) for r in roots]
        self.on_attach, self.on_detach, self.on_scan = on_attach, on_detach, on_scan
        self.quiet_seconds, self.rescan_seconds = quiet_seconds, rescan_seconds
        self.clock, self.mounts_file, self.use_watchdog = clock, Path(mounts_file), use_watchdog
        self.stop_event = stop or threading.Event()
        self.wake = threading.Event()
        self.docked: dict[Path, QuietTracker] = {}
        self._next_scan: dict[Path, float] = {}
        self._interval: dict[Path, float] = {}  # per volume: grows while its files stay unchanged
        self._signature: dict[Path, int] = {}

    def poll_once(self) -> None:
        """Re-read the volumes, attach/detach, and scan each volume that is due."""
        current = find_volumes(self.roots, self.mounts_file)
        for root in sorted(set(self.docked) - current):
            del self.docked[root]
            self._next_scan.pop(root, None)
            self._interval.pop(root, None)
            self._signature.pop(root, None)
            self._call(self.on_detach, root)
        for root in sorted(current - set(self.docked)):
            self.docked[root] = QuietTracker(self.quiet_seconds, self.clock)
            self._next_scan[root] = self.clock()
            self._call(self.on_attach, root)
        for root, tracker in list(self.docked.items()):
            if self.clock() < self._next_scan[root]:
                continue
            result = scan_volume(root)
            ready, waiting = tracker.observe(result.files)
            due = tracker.next_due()
            interval = self._backoff(root, result.files, waiting)
            self._next_scan[root] = min(self.clock() + interval, due if due is not None else 1e300)
            self._call(self.on_scan, root, ready, waiting, result)

    def _backoff(self, root: Path, files, waiting) -> float:
        """The volume's next rescan interval: doubled (up to BACKOFF_MAX x) while nothing changes."""
        signature = hash(tuple((f.relpath_bytes, f.size, f.mtime_ns) for f in files))
        unchanged = self._signature.get(root) == signature and not waiting
        self._signature[root] = signature
        previous = self._interval.get(root, self.rescan_seconds)
        interval = min(previous * 2, self.rescan_seconds * BACKOFF_MAX) if unchanged else self.rescan_seconds
        self._interval[root] = interval
        return interval

    def seconds_to_next(self) -> float:
        """Until the next due scan; the mount table is still re-read every rescan_seconds."""
        if not self._next_scan:
            return self.rescan_seconds
        return max(0.0, min(min(self._next_scan.values()) - self.clock(), self.rescan_seconds))

    def _call(self, fn, *args) -> None:
        try:
            fn(*args)
        except Exception:  # a callback failure must not stop the watcher; it is logged
            log.exception("dock watcher callback %s failed for %s", getattr(fn, "__name__", fn), args[0])

    def run(self) -> None:
        _lower_priority()
        observer = self._start_observer() if self.use_watchdog else None
        try:
            while not self.stop_event.is_set():
                self.wake.clear()
                try:
                    self.poll_once()
                except Exception:  # e.g. a root made unreadable: logged, retried next period
                    log.exception("dock watcher poll failed")
                # Waits on the wake event (watchdog) or the next due scan, whichever first.
                deadline = time.monotonic() + self.seconds_to_next()
                while not self.stop_event.is_set() and not self.wake.is_set():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self.wake.wait(left)  # stop() sets wake too
        finally:
            if observer is not None:
                observer.stop()
                observer.join()

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()

    def _start_observer(self):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        wake = self.wake

        class _Wake(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                wake.set()

        observer = Observer()
        for root in self.roots:
            if root.is_dir():
                observer.schedule(_Wake(), str(root), recursive=False)
        observer.daemon = True
        observer.start()
        return observer
