"""The one-shot commands behind the CLI: a manual offload, the camera simulator, UVC recording.

`manual_offload` does what the service does for one docked volume, now, with
progress bars (overall and per clip) on stderr, and returns a summary listing
every clip of the volume with its state, SHA-256, flags and error, plus what was
skipped. It recovers the spool first, so a manual offload killed at any moment
and started again resumes without duplicating or half-recording a clip.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from edge_agent.core.clip_state import ClipState
from edge_agent.core.config import UvcDevice
from edge_agent.core.journal import Journal
from edge_agent.core.live_status import RuntimeStatus
from edge_agent.core.spool import Spool
from edge_agent.dock.scan import scan_volume, source_key
from edge_agent.dock.volume import prepare_volume
from edge_agent.offload.offloader import ClipOutcome, Offloader, SpoolFull, VolumeGone


def manual_offload(
    path: Path,
    spool_dir: Path,
    *,
    profile_name: str | None = None,
    profile_dirs=(),
    min_free_bytes: int = 0,
    thumbnails: bool = True,
    max_attempts: int = 5,
    progress_factory: Callable | None = None,
) -> tuple[dict, int]:
    from firmware_profiles import get_profile, load_profiles

    spool = Spool(spool_dir)
    status = RuntimeStatus()
    with Journal(spool.root / "journal.sqlite") as journal:
        spool.recover(journal)
        profiles = load_profiles(list(profile_dirs))
        forced = get_profile(profile_name, profiles) if profile_name else None
        volume = prepare_volume(path, profiles, force_any=True, profile=forced)
        scan = scan_volume(path)
        status.volume(
            path,
            state="docked",
            profile=volume.profile.name,
            device_serial=volume.device_serial,
            clock_offset_seconds=volume.clock_offset_seconds,
            warnings=volume.warnings,
        )
        status.skipped(path, scan.skipped)
        for s in scan.skipped:
            journal.record_event("skipped", s.reason, f"{path}/{s.relpath}")
        offloader = Offloader(
            journal,
            spool,
            min_free_bytes=min_free_bytes,
            max_attempts=max_attempts,
            thumbnails=thumbnails,
            status=status,
        )
        todo = offloader.plan(volume, scan.files)
        code, paused = 0, None
        bars = progress_factory(sum(f.size for _, f, _ in todo)) if progress_factory else None
        try:
            if bars:
                bars.start()
                overall = bars.add_task(f"{len(todo)} clip(s)", total=sum(f.size for _, f, _ in todo) or 1)
            base = 0
            for clip_id, f, sidecars in todo:
                task = bars.add_task(f.relpath[-40:], total=f.size or 1) if bars else None

                def tick(_f, done, task=task, base=base):
                    if bars:
                        bars.update(task, completed=done)
                        bars.update(overall, completed=base + done)

                try:
                    outcome: ClipOutcome = offloader.offload_clip(volume, clip_id, f, sidecars, progress=tick)
                except SpoolFull as exc:
                    code, paused = 3, str(exc)
                    break
                except VolumeGone:
                    code = 4
                    break
                finally:
                    status.save(spool.root)
                if bars:
                    keep = outcome.state != ClipState.SPOOLED or len(todo) < 30
                    bars.update(task, completed=f.size or 1, visible=keep)
                base += f.size
        finally:
            if bars:
                bars.stop()
        clips = []
        for f in scan.files:
            if not volume.profile.is_clip(f.posix):
                continue
            row = journal.by_source_key(source_key(volume.serial_key, f))
            clips.append(
                {
                    "path": f.relpath,
                    "state": row.state if row else "NOT_SEEN",
                    "sha256": row.sha256 if row else None,
                    "flags": row.flags if row else [],
                    "error": row.error if row else None,
                    "spool_path": row.spool_path if row else None,
                    "quarantine_reason": row.quarantine_reason if row else None,
                }
            )
        if code == 0 and any(c["state"] == ClipState.DISCOVERED for c in clips):
            code = 1
        status.save(spool.root)
        summary = {
            "volume": str(path),
            "profile": volume.profile.name,
            "device_serial": volume.device_serial,
            "clock_offset_seconds": volume.clock_offset_seconds,
            "spool": str(spool.root),
            "paused": paused,
            "counts": journal.counts(),
            "clips": clips,
            "skipped": [{"relpath": s.relpath, "reason": s.reason} for s in scan.skipped],
            "warnings": volume.warnings,
        }
    return summary, code


def simulate(
    profile_name: str,
    out: Path,
    *,
    clips: int,
    seconds: float,
    seed: int,
    truncated: int,
    odd_names: bool,
    symlink_out: bool,
    fifo: bool,
    clock_offset: float,
    still_writing: float | None,
    profile_dirs=(),
    console=None,
) -> None:
    from edge_agent.simulator import simulate_camera, start_writing_clip
    from firmware_profiles import get_profile, load_profiles

    profile = get_profile(profile_name, load_profiles(list(profile_dirs)))
    vol = simulate_camera(
        profile,
        out,
        clips=clips,
        seconds=seconds,
        seed=seed,
        truncated=truncated,
        odd_names=odd_names,
        symlink_out=symlink_out,
        fifo=fifo,
        clock_offset=clock_offset,
    )
    if console:
        console.print(f"simulated {profile.name} volume at {vol.root}: {len(vol.clips)} clip(s)")
    if still_writing:
        last = vol.clips[-1].relpath if vol.clips else PurePosixPath("DCIM/100MEDIA/CLIP.MP4")
        rel = last.with_name(f"{last.stem}_W{last.suffix}")
        stop = threading.Event()
        thread = start_writing_clip(vol.root, rel, still_writing, stop)
        if console:
            console.print(f"writing {rel} for {still_writing} s")
        thread.join()


def record(
    spool_dir: Path, device: UvcDevice, *, seconds: float | None, stop: threading.Event, profile_dirs=()
) -> Iterator[dict]:
    """Record until `seconds`, an unplug or `stop`; yields one summary per journaled segment."""
    from edge_agent.capture.journaling import journal_segment, recover_device, source_for
    from edge_agent.capture.recorder import UvcRecorder

    spool = Spool(spool_dir)
    out_dir = spool.root / "uvc" / device.name
    with Journal(spool.root / "journal.sqlite") as journal:
        done: list[int] = recover_device(journal, spool, device, out_dir)
        profiles = []
        if device.profile:
            from firmware_profiles import load_profiles

            profiles = load_profiles(list(profile_dirs))
        source, fmt, options, segment_seconds, encoder = source_for(device, profiles)
        lock = threading.Lock()

        def on_segment(seg) -> None:
            with lock:
                done.append(
                    journal_segment(
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
                    )
                )

        rec = UvcRecorder(
            source=source,
            input_format=fmt,
            options=options,
            out_dir=out_dir,
            segment_seconds=segment_seconds,
            on_segment=on_segment,
            name_prefix=device.name,
            stop=stop,
            max_seconds=seconds,
            **encoder,
        )
        rec.start()
        while rec.is_alive():
            rec.join(0.5)
        for clip_id in done:
            row = journal.get(clip_id)
            yield {
                "clip_id": row.id,
                "path": row.spool_path,
                "sha256": row.sha256,
                "flags": row.flags,
                "state": row.state,
            }
