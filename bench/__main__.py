"""`make bench`: run every benchmark module, or those named (`make bench BENCH_ARGS="hashing"`).

Each module exposes `run(report)`; `report(name, value, goal)` prints one line.
Generated data goes under bench-data/ (git-ignored) and is removed afterwards.
"""

from __future__ import annotations

import importlib
import sys
import time

MODULES = ["hashing", "offload", "upload", "server", "reports", "alignment", "redaction"]


def report(name: str, value: str, goal: str) -> None:
    print(f"{name}: {value} ({goal})", flush=True)


def main(argv: list[str]) -> int:
    wanted = argv or MODULES
    failed = []
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                print(f"# bench.{name}: not built yet, skipped", flush=True)
                continue
            raise
        print(f"# bench.{name}", flush=True)
        started = time.monotonic()
        try:
            module.run(report)
        except Exception as exc:  # one broken benchmark must not hide the others
            failed.append(name)
            print(f"# bench.{name} FAILED: {exc!r}", flush=True)
        print(f"# bench.{name} took {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
