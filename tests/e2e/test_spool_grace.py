"""A spool copy stays until its receipt is older than the grace period, then goes (and is journaled)."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timedelta

from edge_agent.core.config import load_settings
from edge_agent.core.live_status import RuntimeStatus
from edge_agent.upload.loop import UploadService
from tests.e2e.conftest import Car


def test_spool_copy_removed_only_after_the_grace_period(tmp_path, server):
    car = Car(tmp_path, server)
    clip_id = car.spooled_clip("GRACE.MP4", 4000)
    token = tmp_path / "token"
    token.write_text(server.device_token)
    token.chmod(0o600)
    settings = load_settings(
        spool_dir=car.spool,
        server_url=server.url,
        server_key_fingerprint=server.key_fingerprint,
        device_token_file=token,
        spool_grace_seconds=3600,
    )
    clock = {"now": None}
    service = UploadService(
        settings, car.journal, RuntimeStatus(), stop=threading.Event(), docked=dict, now=lambda: clock["now"]
    )
    try:
        assert service.uploader.run_once() == 1
        row = car.journal.get(clip_id)
        stored_at = datetime.fromisoformat(json.loads(row.receipt_json)["receipt"]["stored_at"])

        clock["now"] = stored_at + timedelta(minutes=59)
        assert service.clean_spool() == []
        assert os.path.exists(row.spool_path), "removed before its grace period"

        clock["now"] = stored_at + timedelta(minutes=61)
        assert service.clean_spool() == [clip_id]
        assert not os.path.exists(row.spool_path)
        after = car.journal.get(clip_id)
        assert after.state == "RECEIPTED" and after.spool_removed_at  # the camera was never docked again
        assert car.journal.integrity_problems() == []
        assert any(e["kind"] == "spool_removed" for e in car.journal.events(kinds=("spool_removed",)))
    finally:
        service.join()
        car.journal.close()
