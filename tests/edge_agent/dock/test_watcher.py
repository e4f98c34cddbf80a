"""Dock watcher: volumes from the mount table and the roots, quiet files, detach (fake clock, no sleeping)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from edge_agent.dock.scan import QuietTracker, scan_volume
from edge_agent.dock.watcher import DockWatcher, find_volumes, read_mount_points
from tests.support.clocks import FakeClock


def test_mount_table_and_plain_folders_both_count_as_docked(tmp_path):
    media = tmp_path / "media"
    (media / "usb stick").mkdir(parents=True)
    (media / "alice" / "CAM01").mkdir(parents=True)
    (media / "plain").mkdir()
    (media / ".hidden").mkdir()
    mounts = tmp_path / "mounts"
    mounts.write_text(
        f"/dev/sdb1 {media}/usb\\040stick vfat rw 0 0\n"
        f"/dev/sdc1 {media}/alice/CAM01 exfat rw 0 0\n"
        "/dev/sda1 / ext4 rw 0 0\n"
    )
    assert Path(f"{media}/usb stick") in read_mount_points(mounts)
    assert find_volumes([media], mounts) == {media / "usb stick", media / "alice" / "CAM01", media / "plain"}


def test_watcher_attaches_scans_waits_for_quiet_and_detaches(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    clock = FakeClock()
    events = []
    watcher = DockWatcher(
        [media],
        on_attach=lambda r: events.append(("attach", r.name)),
        on_detach=lambda r: events.append(("detach", r.name)),
        on_scan=lambda r, ready, waiting, res: events.append(
            ("scan", sorted(f.relpath for f in ready), sorted(f.relpath for f in waiting))
        ),
        quiet_seconds=5,
        rescan_seconds=2,
        clock=clock,
        mounts_file=tmp_path / "none",
        use_watchdog=False,
    )
    watcher.poll_once()
    assert events == []
    cam = media / "cam"
    (cam / "DCIM").mkdir(parents=True)
    (cam / "DCIM" / "old.MP4").write_bytes(b"already there before docking")
    watcher.poll_once()
    assert events == [("attach", "cam"), ("scan", [], ["DCIM/old.MP4"])]  # seen once: not yet quiet

    clock.now = 3.0
    growing = cam / "DCIM" / "rec.MP4"
    growing.write_bytes(b"frame 1")
    events.clear()
    watcher.poll_once()
    assert events == [("scan", [], ["DCIM/old.MP4", "DCIM/rec.MP4"])]

    clock.now = 5.0  # old.MP4 quiet for 5 s; rec.MP4 still growing
    with open(growing, "ab") as fh:
        fh.write(b"frame 2")
    os.utime(growing, ns=(10**9, 10**9 + 5))
    events.clear()
    watcher.poll_once()
    assert events == [("scan", ["DCIM/old.MP4"], ["DCIM/rec.MP4"])]

    clock.now = 9.9
    events.clear()
    watcher.poll_once()
    assert events == [("scan", ["DCIM/old.MP4"], ["DCIM/rec.MP4"])]
    clock.now = 10.0  # five quiet seconds since its last change
    events.clear()
    watcher.poll_once()
    assert events == [("scan", ["DCIM/old.MP4", "DCIM/rec.MP4"], [])]

    shutil.rmtree(cam)
    events.clear()
    watcher.poll_once()
    assert events == [("detach", "cam")]
    assert watcher.docked == {}


def test_quiet_tracker_restarts_the_wait_on_any_change(tmp_path):
    clock = FakeClock()
    f = tmp_path / "v" / "a.mp4"
    f.parent.mkdir()
    f.write_bytes(b"1")
    tracker = QuietTracker(2.0, clock)
    assert tracker.observe(scan_volume(f.parent).files)[0] == []
    assert tracker.next_due() == 2.0
    clock.now = 1.5
    f.write_bytes(b"22")
    assert tracker.observe(scan_volume(f.parent).files)[0] == []
    clock.now = 3.4
    assert tracker.observe(scan_volume(f.parent).files)[0] == []
    clock.now = 3.5
    assert [x.relpath for x in tracker.observe(scan_volume(f.parent).files)[0]] == ["a.mp4"]


def test_watcher_thread_stops_on_its_event(tmp_path):
    (tmp_path / "media").mkdir()
    watcher = DockWatcher(
        [tmp_path / "media"],
        on_attach=lambda r: None,
        on_detach=lambda r: None,
        on_scan=lambda *a: None,
        quiet_seconds=1,
        rescan_seconds=30,
        mounts_file=tmp_path / "none",
    )
    watcher.start()
    watcher.stop()
    watcher.join(10)
    assert not watcher.is_alive()


def test_an_unchanged_volume_is_rescanned_less_and_less_and_a_change_resets_it(tmp_path):
    # Issue 16 Found 10: a 10,000-file volume rescanned at a short interval kept a core busy and
    # uploads fell from about 15 to 0.6 clips/s.
    media = tmp_path / "media"
    cam = media / "cam" / "DCIM"
    cam.mkdir(parents=True)
    for n in range(50):
        (cam / f"{n:04}.MP4").write_bytes(b"x")
    clock = FakeClock()
    scans = []
    watcher = DockWatcher(
        [media],
        on_attach=lambda r: None,
        on_detach=lambda r: None,
        on_scan=lambda r, ready, waiting, res: scans.append(clock.now),
        quiet_seconds=0,
        rescan_seconds=2,
        clock=clock,
        mounts_file=tmp_path / "none",
        use_watchdog=False,
    )
    for _ in range(600):  # ten minutes of polls, once a second
        watcher.poll_once()
        clock.now += 1
    assert len(scans) < 30, f"{len(scans)} full scans of an unchanged volume in 10 minutes"
    gaps = [b - a for a, b in zip(scans, scans[1:], strict=False)]
    assert max(gaps) <= 2 * 16  # bounded: a new file is still seen within BACKOFF_MAX x rescan_seconds

    (cam / "NEW.MP4").write_bytes(b"new clip")
    seen_at = None
    while seen_at is None:
        before = len(scans)
        watcher.poll_once()
        if len(scans) > before:
            seen_at = clock.now
        clock.now += 1
    scans.clear()
    for _ in range(6):
        watcher.poll_once()
        clock.now += 1
    assert len(scans) >= 2  # after a change the short interval again
