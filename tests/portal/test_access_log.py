"""A review link's token never reaches the HTTP access log."""

from __future__ import annotations

import logging

from ingest_server.shares.logging import RedactShareTokens

TOKEN = "Zk3pQ9_secret-token_value"


def test_access_log_line_has_no_share_token():
    # uvicorn.access formats: '%s - "%s %s HTTP/%s" %d'
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/review/{TOKEN}/clips/c1/stream?x=1", "1.1", 206),
        None,
    )
    assert RedactShareTokens().filter(record)
    line = record.getMessage()
    assert TOKEN not in line
    assert "/review/[redacted]/clips/c1/stream?x=1" in line


def test_other_paths_are_untouched():
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s %s", ("GET", "/portal/clips"), None
    )
    RedactShareTokens().filter(record)
    assert record.getMessage() == "GET /portal/clips"


def test_the_running_server_logs_no_share_token(tmp_path, s3_endpoint):
    import httpx

    from demo.stack import ServerProcess

    server = ServerProcess(tmp_path / "srv", s3_endpoint).prepare().start(log=tmp_path / "server.log")
    try:
        assert httpx.get(f"{server.url}/review/{TOKEN}", timeout=30).status_code == 404
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    assert "/review/[redacted]" in log
    assert TOKEN not in log
