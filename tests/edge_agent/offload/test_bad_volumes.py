"""Malicious or broken volumes: links out, special files, odd names, huge counts, unplug, full spool."""

from __future__ import annotations

import errno
import os
import socket
import stat
from pathlib import Path

import pytest

from edge_agent.core.journal import Journal
from edge_agent.core.live_status import RuntimeStatus
from edge_agent.core.spool import Spool
from edge_agent.dock.scan import scan_volume, source_key
from edge_agent.dock.volume import AnyVideoProfile, DockedVolume
from edge_agent.offload.offloader import Offloader, SpoolFull, VolumeGone
from edge_agent.status_report import build_status, render
from tests.support.agent import fingerprint, sha256sum


def _setup(tmp_path: Path, **kw):
    spool = Spool(tmp_path / "spool")
    journal = Journal(spool.root / "journal.sqlite")
    status = RuntimeStatus()
    return (
        journal,
        spool,
        status,
        Offloader(
            journal, spool, min_free_bytes=kw.pop("min_free_bytes", 0), status=status, thumbnails=False, **kw
        ),
    )


def _volume(root: Path) -> DockedVolume:
    return DockedVolume(root, AnyVideoProfile(), "SN-TEST")


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_symlinks_out_of_the_volume_are_not_followed(tmp_path):
    secret = _write(tmp_path / "outside" / "secret.mp4", b"not the camera's")
    vol = tmp_path / "vol"
    _write(vol / "DCIM" / "real.mp4", b"camera bytes")
    (vol / "DCIM" / "link.mp4").symlink_to(secret)
    (vol / "escape").symlink_to(tmp_path / "outside", target_is_directory=True)
    scan = scan_volume(vol)
    assert [f.relpath for f in scan.files] == ["DCIM/real.mp4"]
    assert {(s.relpath, s.reason) for s in scan.skipped} == {
        ("DCIM/link.mp4", "symlink (not followed)"),
        ("escape", "symlink (not followed)"),
    }
    journal, spool, status, off = _setup(tmp_path)
    off.offload(_volume(vol), scan.files)
    assert [r.relpath for r in journal.clips("SPOOLED")] == ["DCIM/real.mp4"]
    assert b"not the camera's" not in b"".join(p.read_bytes() for p in spool.clips_dir.iterdir())


def test_special_files_are_skipped_and_reported(tmp_path):
    vol = tmp_path / "vol"
    _write(vol / "DCIM" / "ok.mp4", b"x" * 100)
    os.mkfifo(vol / "DCIM" / "pipe.mp4")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(vol / "DCIM" / "sock.mp4"))
    try:
        try:
            os.mknod(vol / "DCIM" / "null.mp4", stat.S_IFCHR | 0o600, os.makedev(1, 3))
            device = True
        except PermissionError:
            device = False
        scan = scan_volume(vol)
    finally:
        sock.close()
    reasons = {s.relpath: s.reason for s in scan.skipped}
    assert reasons["DCIM/pipe.mp4"] == "FIFO (special file skipped)"
    assert reasons["DCIM/sock.mp4"] == "socket (special file skipped)"
    if device:
        assert reasons["DCIM/null.mp4"] == "device file (special file skipped)"
    assert [f.relpath for f in scan.files] == ["DCIM/ok.mp4"]


ODD = ["DCIM/with spaces (1).mp4", "DCIM/Überwachung_日本.mp4", "DCIM/line\nbreak.mp4", "DCIM/tab\there.mp4"]


def test_odd_names_survive_offload(tmp_path):
    vol = tmp_path / "vol"
    for i, name in enumerate(ODD):
        _write(vol / name, os.urandom(1000 + i))
    raw = os.fsencode(vol / "DCIM") + b"/bad\xff\xfe.mp4"  # not UTF-8 at all
    with open(raw, "wb") as fh:
        fh.write(b"latin-1 camera")
    journal, spool, status, off = _setup(tmp_path)
    outcomes = off.offload(_volume(vol), scan_volume(vol).files)
    assert all(o.state == "SPOOLED" for o in outcomes) and len(outcomes) == 5
    for name in ODD:
        row = next(r for r in journal.clips() if r.relpath == name)
        assert row.sha256 == sha256sum(vol / name) == sha256sum(Path(row.spool_path))
        assert row.relpath_bytes == name.encode()
    bad = next(r for r in journal.clips() if r.relpath_bytes.startswith(b"DCIM/bad"))
    assert bad.relpath == "DCIM/bad\\xff\\xfe.mp4"
    assert bad.sha256 == sha256sum(Path(os.fsdecode(raw)))


@pytest.mark.slow
def test_ten_thousand_small_files(tmp_path, monkeypatch):
    # About the count, not durability: that every step is on disk before the journal says so is
    # proven by SIGKILL (tests/edge_agent/test_crash.py). Here the 20,000 file fsyncs and the
    # journal's synchronous commits were most of the run (181 s of a loaded suite), so this test
    # alone skips them.
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    vol = tmp_path / "vol"
    for d in range(10):
        folder = vol / "DCIM" / f"{100 + d}MEDIA"
        folder.mkdir(parents=True)
        for i in range(1000):
            (folder / f"F{i:05d}.mp4").write_bytes(b"%d/%d" % (d, i))
    scan = scan_volume(vol)
    assert len(scan.files) == 10_000 and not scan.skipped
    journal, spool, status, off = _setup(tmp_path)
    journal._db.execute("PRAGMA synchronous=OFF")
    outcomes = off.offload(_volume(vol), scan.files)
    assert len(outcomes) == 10_000
    assert journal.counts()["SPOOLED"] == 10_000
    row = journal.by_source_key(
        source_key("SN-TEST", next(f for f in scan.files if f.relpath == "DCIM/107MEDIA/F00123.mp4"))
    )
    assert Path(row.spool_path).read_bytes() == b"7/123"
    assert off.plan(_volume(vol), scan_volume(vol).files) == []  # a re-dock finds nothing new
    assert "clips: SPOOLED 10000" in render(build_status(spool.root))


def test_volume_removed_mid_copy_is_retried_on_next_dock(tmp_path):
    vol = tmp_path / "media" / "cam"
    for i in range(3):
        _write(vol / "DCIM" / f"c{i}.mp4", os.urandom(3 * 1024 * 1024))
    before = fingerprint(vol)
    away = tmp_path / "unplugged"
    calls = []

    def unplug_during_write(fd, data):
        calls.append(1)
        if len(calls) == 1:
            os.rename(vol, away)  # the camera goes away while its first clip is copied
        return os.write(fd, data)

    journal, spool, status, off = _setup(tmp_path, writer=unplug_during_write)
    files = scan_volume(vol).files
    with pytest.raises(VolumeGone):
        off.offload(_volume(vol), files)
    rows = journal.clips()
    assert [r.state for r in rows] == ["DISCOVERED"] * 3
    assert "volume removed mid-copy" in rows[0].error
    assert not any(spool.clips_dir.iterdir())  # nothing half-copied left behind
    assert "volume removed mid-copy" in render(build_status(spool.root))

    os.rename(away, vol)  # docked again
    off.writer = os.write
    outcomes = off.offload(_volume(vol), scan_volume(vol).files)
    assert [o.state for o in outcomes] == ["SPOOLED"] * 3
    assert [r.id for r in journal.clips("SPOOLED")] == [r.id for r in rows]  # same clips, not duplicates
    for r in journal.clips():
        assert r.sha256 == sha256sum(vol / r.relpath)
    assert fingerprint(vol) == before


def test_full_spool_pauses_with_a_clear_status_and_loses_nothing(tmp_path):
    vol = tmp_path / "vol"
    for i in range(3):
        _write(vol / "DCIM" / f"c{i}.mp4", os.urandom(200_000))
    journal, spool, status, off = _setup(tmp_path, min_free_bytes=2**62)
    with pytest.raises(SpoolFull, match="spool full"):
        off.offload(_volume(vol), scan_volume(vol).files)
    assert journal.counts()["DISCOVERED"] == 3 and journal.counts()["SPOOLED"] == 0
    status.save(spool.root)
    report = build_status(spool.root)
    assert report["paused"].startswith("spool full") and "nothing lost" in report["paused"]
    assert "OFFLOAD PAUSED: spool full" in render(report)

    off.min_free_bytes = 0  # space freed
    off.offload(_volume(vol), scan_volume(vol).files)
    assert journal.counts()["SPOOLED"] == 3 and status.paused is None


def test_disk_full_while_writing_pauses_and_leaves_no_partial(tmp_path):
    vol = tmp_path / "vol"
    _write(vol / "DCIM" / "big.mp4", os.urandom(9 * 1024 * 1024))
    written = [0]

    def enospc_after_4mib(fd, data):
        if written[0] >= 4 * 1024 * 1024:
            raise OSError(errno.ENOSPC, "No space left on device")
        written[0] += len(data)
        return os.write(fd, data)

    journal, spool, status, off = _setup(tmp_path, writer=enospc_after_4mib)
    with pytest.raises(SpoolFull, match="no space left"):
        off.offload(_volume(vol), scan_volume(vol).files)
    assert list(spool.clips_dir.iterdir()) == []
    assert journal.clips()[0].state == "DISCOVERED"
    assert "spool full" in render(build_status(spool.root))
    off.writer = os.write
    off.offload(_volume(vol), scan_volume(vol).files)
    assert journal.clips()[0].sha256 == sha256sum(vol / "DCIM" / "big.mp4")


def test_unreadable_clip_is_quarantined_after_its_attempts(tmp_path, monkeypatch):
    vol = tmp_path / "vol"
    _write(vol / "DCIM" / "bad.mp4", b"x" * 10)

    def eio(path):
        raise OSError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr("edge_agent.dock.scan.open_no_follow", eio)
    journal, spool, status, off = _setup(tmp_path, max_attempts=2)
    states = [off.offload(_volume(vol), scan_volume(vol).files)[0].state for _ in range(2)]
    assert states == ["DISCOVERED", "QUARANTINED"]
    assert off.plan(_volume(vol), scan_volume(vol).files) == []  # kept, reported, not retried forever
    report = build_status(spool.root)
    assert report["quarantined"][0]["reason"].startswith("unreadable after 2 attempts")
    assert "QUARANTINED clip 1 'DCIM/bad.mp4': unreadable after 2 attempts" in render(report)
