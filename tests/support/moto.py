"""moto's S3 server on 127.0.0.1, kept for two things only, each test saying why:
the server's own completion check against a store that accepts other bytes than a
part's signed checksum (moto 5.2.5 does; SeaweedFS refuses them first), and
`evidence-server store check` showing what a store that keeps none of the
integrity and lock properties looks like. No evidence test runs on it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from demo.stack import LOOPBACK, free_port, stop_process, wait_for_port


@contextmanager
def moto_server(port: int | None = None, log: Path | None = None):
    """moto's S3 server in its own process; yields its endpoint URL (any credentials work)."""
    port = port or free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
        stdout=out,
        stderr=out,
        env=env,
    )
    try:
        wait_for_port(port, proc, "moto server", timeout=30)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        stop_process(proc)
        if log:
            out.close()
