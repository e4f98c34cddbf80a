"""The upload half of a manual `evidence-agent offload` when a server is configured.

After the offload, every pending clip in the spool is uploaded with a progress
bar (bytes sent against bytes to send), in at most three of the service's upload
rounds; then the service's own `after_upload` step releases receipted clips of
the docked volume as its profile says and removes spool copies past their grace
period. The summary says how many clips were receipted and which still wait,
with their last error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from edge_agent.core.clip_state import UPLOAD_PENDING, ClipState
from edge_agent.core.config import AgentSettings
from edge_agent.core.journal import Journal
from edge_agent.core.live_status import RuntimeStatus
from edge_agent.dock.volume import prepare_volume
from edge_agent.upload.loop import UploadService
from firmware_profiles import get_profile, load_profiles

ROUNDS = 3  # a clip still failing after three rounds of retries waits for the service


def manual_upload(
    path: Path,
    settings: AgentSettings,
    *,
    profile_name: str | None = None,
    progress_factory: Callable | None = None,
) -> dict:
    profiles = load_profiles(list(settings.profile_dirs))
    forced = get_profile(profile_name, profiles) if profile_name else None
    volume = prepare_volume(path, profiles, force_any=True, profile=forced)
    status = RuntimeStatus()
    stop = threading.Event()
    with Journal(settings.journal_path) as journal:
        service = UploadService(settings, journal, status, stop=stop, docked=lambda: {volume.root: volume})
        todo = service.uploader.pending()
        total = sum(r.manifest["size"] for r in todo) or 1
        done = threading.Event()

        def work() -> None:
            try:
                for _ in range(ROUNDS):
                    if not service.uploader.pending():
                        break
                    service.uploader.run_once()
            finally:
                done.set()

        worker = threading.Thread(target=work, name="manual-upload", daemon=True)
        bars = progress_factory(total) if progress_factory and todo else None
        try:
            if bars:
                bars.start()
                task = bars.add_task(f"upload {len(todo)} clip(s)", total=total)
            worker.start()
            while not done.wait(0.2):
                if bars:
                    bars.update(task, completed=min(service.uploader.meter.total, total))
            if bars:
                bars.update(task, completed=min(service.uploader.meter.total, total))
        except KeyboardInterrupt:
            stop.set()  # the journal keeps every clip where it is; the next run resumes
            worker.join()
            raise
        finally:
            if bars:
                bars.stop()
        service.after_upload()
        service.join()
        waiting = [
            {"id": r.id, "relpath": r.relpath, "state": r.state, "error": r.error}
            for r in journal.clips(*UPLOAD_PENDING)
        ]
        return {
            "server": settings.server_url,
            "uploaded": len(todo) - len(waiting),
            "bytes_sent": service.uploader.meter.total,
            "waiting": waiting,
            "released": [
                {"relpath": r.relpath, "action": r.release_action}
                for r in journal.clips(ClipState.RELEASED)
                if r.volume_root == str(volume.root)
            ],
            "counts": journal.counts(),
        }
