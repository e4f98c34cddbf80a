"""`status` names the oldest clip still without a receipt, its age and its last error."""

from __future__ import annotations

from edge_agent.status_report import build_status, render
from tests.e2e.conftest import Car


def test_status_shows_the_oldest_unreceipted_clip_and_its_error(tmp_path, server):
    car = Car(tmp_path, server, server_url="http://127.0.0.1:9")  # nothing listens there
    car.spooled_clip("WAITING.MP4", 1000)
    up = car.uploader(timeout=1.0, attempts=1)  # one attempt, so the failure is recorded at once
    try:
        assert up.run_once() == 0
    finally:
        up.close()
    car.journal.close()
    status = build_status(car.spool)
    oldest = status["oldest_unreceipted"]
    assert oldest["relpath"] == "WAITING.MP4" and oldest["state"] == "SPOOLED"
    assert "register" in oldest["last_error"]
    assert "oldest unreceipted clip" in render(status)
