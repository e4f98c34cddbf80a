"""UVC dashcam segments into the journal: each closed segment is a SPOOLED clip.

Segments are recorded straight into the spool (`<spool>/uvc/<device name>/`) and
hashed while written (edge_agent.capture.recorder), so a closed segment needs no copy: it is
journaled with its manifest, PyAV facts and thumbnail, flagged "partial_segment"
when it ended early (stop, unplug, crash). At start, segments a crash left open
are recovered (`recover_partial_segments`), and closed segments whose journal row
never committed are hashed and journaled: nothing recorded is left unaccounted.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from edge_agent.capture.factory import make_recorder, spec_for_device
from edge_agent.capture.recorder import UvcRecorder
from edge_agent.capture.recovery import recover_partial_segments
from edge_agent.capture.segment import Segment
from edge_agent.core.config import AgentSettings, UvcDevice
from edge_agent.core.journal import Journal
from edge_agent.core.live_status import RuntimeStatus
from edge_agent.core.media_probe import describe_spooled
from edge_agent.core.spool import Spool
from hashing import Digest, Manifest, hash_file

log = logging.getLogger(__name__)


def journal_segment(
    journal: Journal,
    spool: Spool,
    device: UvcDevice,
    path: Path,
    digest: Digest,
    *,
    partial: bool,
    info: dict,
    thumbnails: bool = True,
) -> int:
    serial = device.device_serial or device.name
    media = describe_spooled(path, thumb_path=path.with_suffix(".thumb.jpg") if thumbnails else None)
    metadata = {
        "probe": media.facts,
        "original_name": path.name,
        "uvc": info,
        "warnings": media.warnings,
        "sidecar_copies": [],
    }
    if media.thumbnail:
        metadata["thumbnail"] = media.thumbnail
    flags = (["partial_segment"] if partial else []) + media.flags
    st = path.stat()
    return journal.add_spooled(
        source_key=json.dumps(["uvc", serial, path.name], separators=(",", ":")),
        kind="segment",
        device_serial=serial,
        volume_root=str(path.parent),
        relpath=path.name,
        size=digest.size,
        mtime_ns=st.st_mtime_ns,
        profile=device.profile or "uvc-test-source",
        spool_path=str(path),
        sha256=digest.sha256,
        manifest_json=Manifest.from_digest(digest).dumps(),
        metadata_json=metadata,
        flags_json=flags,
        clock_offset_seconds=0.0,
    )


def recover_device(journal: Journal, spool: Spool, device: UvcDevice, out_dir: Path) -> list[int]:
    """Journal what a crash left: open segments (kept as partial) and closed ones never journaled."""
    ids = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for seg in recover_partial_segments(out_dir):
        ids.append(
            journal_segment(
                journal,
                spool,
                device,
                seg.path,
                seg.digest,
                partial=True,
                info={
                    "reason": seg.reason,
                    "frames": seg.frames,
                    "recovered": True,
                    "started_at": seg.started_at.isoformat(),
                },
            )
        )
    claimed = {Path(r.spool_path).name for r in journal.clips() if r.kind == "segment" and r.spool_path}
    for path in sorted(out_dir.glob("*.mp4")):
        if path.name not in claimed:
            ids.append(
                journal_segment(
                    journal,
                    spool,
                    device,
                    path,
                    hash_file(path),
                    partial=False,
                    info={"reason": "closed before a crash; journaled at restart"},
                )
            )
    for clip_id in ids:
        journal.record_event(
            "recovered",
            "UVC segment left by an interrupted run kept and journaled",
            journal.get(clip_id).spool_path,
        )
    return ids


def start_journaled(
    device: UvcDevice,
    *,
    journal: Journal,
    spool: Spool,
    profiles: Sequence,
    stop: threading.Event,
    thumbnails: bool = True,
    max_seconds: float | None = None,
    on_journaled: Callable[[Segment, int], None] | None = None,
) -> tuple[UvcRecorder, list[int]]:
    """Recover the device's folder, then start recording it into the spool, each segment journaled.

    Returns the running recorder and the list of journaled clip ids (the recovered
    ones first; each closed segment is appended as it is journaled)."""
    out_dir = spool.root / "uvc" / device.name
    journaled = recover_device(journal, spool, device, out_dir)
    lock = threading.Lock()

    def on_segment(seg: Segment) -> None:
        with lock:
            clip_id = journal_segment(
                journal,
                spool,
                device,
                seg.path,
                seg.digest,
                partial=seg.partial,
                info={
                    "reason": seg.reason,
                    "frames": seg.frames,
                    "started_at": seg.started_at.isoformat(),
                    "ended_at": seg.ended_at.isoformat(),
                },
                thumbnails=thumbnails,
            )
            journaled.append(clip_id)
        if on_journaled:
            on_journaled(seg, clip_id)

    recorder = make_recorder(
        spec_for_device(device, profiles),
        out_dir=out_dir,
        name_prefix=device.name,
        on_segment=on_segment,
        stop=stop,
        max_seconds=max_seconds,
    )
    recorder.start()
    return recorder, journaled


def start_recorders(
    settings: AgentSettings,
    journal: Journal,
    status: RuntimeStatus,
    spool: Spool,
    profiles: Sequence,
    stop: threading.Event,
) -> list[UvcRecorder]:
    """The service's recorders: one per configured device, its progress in the live status."""
    recorders = []
    for device in settings.uvc_devices:

        def show(seg: Segment, clip_id: int, device: UvcDevice = device) -> None:
            status.uvc[device.name] = {
                "last_segment": str(seg.path),
                "clip_id": clip_id,
                "partial": seg.partial,
                "reason": seg.reason,
            }

        recorder, _ = start_journaled(
            device,
            journal=journal,
            spool=spool,
            profiles=profiles,
            stop=stop,
            thumbnails=settings.thumbnails,
            max_seconds=device.max_seconds,
            on_journaled=show,
        )
        status.uvc[device.name] = {"source": device.source, "out_dir": str(recorder.out_dir)}
        recorders.append(recorder)
    return recorders
