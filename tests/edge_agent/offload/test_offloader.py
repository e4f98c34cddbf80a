"""Offload of simulated cameras: true hashes, flags, sidecars, metadata, clock offset, recovery."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2

from edge_agent.core.journal import Journal
from edge_agent.core.spool import Spool
from edge_agent.dock.scan import scan_volume
from edge_agent.dock.volume import prepare_volume
from edge_agent.offload.offloader import Offloader
from edge_agent.status_report import build_status, render
from hashing import manifest as manifest_mod
from tests.support.agent import fingerprint, sha256sum, simulate


def _offload(tmp_path, profiles, vol_root: Path, **kw):
    spool = Spool(tmp_path / "spool")
    journal = Journal(spool.root / "journal.sqlite")
    off = Offloader(journal, spool, min_free_bytes=0, **kw)
    volume = prepare_volume(vol_root, profiles)
    assert volume is not None, "the simulated camera must match its profile"
    return journal, spool, volume, off.offload(volume, scan_volume(vol_root).files)


def test_truncated_clip_is_offloaded_with_its_true_hash_and_flagged(tmp_path, profiles):
    sim = simulate(profiles, tmp_path / "cam", clips=3, truncated=1, seed=3)
    before = fingerprint(sim.root)
    journal, spool, volume, outcomes = _offload(tmp_path, profiles, sim.root)
    assert [o.state for o in outcomes] == ["SPOOLED"] * 3
    cut = [c for c in sim.clips if c.truncated]
    assert len(cut) == 1
    rows = {r.relpath: r for r in journal.clips()}
    bad = rows[str(cut[0].relpath)]
    assert "truncated" in bad.flags
    assert bad.sha256 == sha256sum(sim.root / cut[0].relpath)
    assert bad.manifest["size"] == (sim.root / cut[0].relpath).stat().st_size
    for c in sim.clips:
        if not c.truncated:
            row = rows[str(c.relpath)]
            assert row.flags in ([], ["event"])
            assert row.metadata["probe"]["codec"] == "h264" and row.metadata["probe"]["width"] == 160
            thumb = cv2.imread(row.metadata["thumbnail"])
            assert thumb is not None and thumb.shape[1] == 160
    assert fingerprint(sim.root) == before  # the camera is never written to
    text = render(build_status(spool.root))
    assert f"flagged clip {bad.id} {bad.relpath!r}: truncated" in text


def test_sidecars_metadata_and_clock_offset_are_journaled(tmp_path, profiles):
    sim = simulate(
        profiles,
        tmp_path / "cam",
        profile="json-sidecar-bodycam",
        clips=2,
        seed=5,
        clock_offset=-42.0,
        officer_id="B777",
        device_serial="SN42",
    )
    journal, spool, volume, outcomes = _offload(tmp_path, profiles, sim.root)
    assert abs(volume.clock_offset_seconds - (-42.0)) < 5  # measured at dock time against our clock
    for row in journal.clips():
        assert row.clock_offset_seconds == volume.clock_offset_seconds
        meta = row.metadata
        assert (meta["officer_id"], meta["device_serial"]) == ("B777", "SN42")
        assert meta["sidecar_copies"], "the JSON sidecar is copied too"
        for side in meta["sidecar_copies"]:
            copy = Path(side["spool_path"])
            assert side["sha256"] == sha256sum(sim.root / side["relpath"]) == sha256sum(copy)
        m = manifest_mod.loads(row.manifest_json)  # a valid, self-consistent manifest
        assert m.sha256 == row.sha256 == sha256sum(sim.root / row.relpath)


def test_restart_cleans_partials_adopts_complete_copies_and_reports_strays(tmp_path, profiles):
    sim = simulate(profiles, tmp_path / "cam", clips=3, seed=8)
    spool = Spool(tmp_path / "spool")
    journal = Journal(spool.root / "journal.sqlite")
    off = Offloader(journal, spool, min_free_bytes=0, thumbnails=False)
    volume = prepare_volume(sim.root, profiles)
    plan = off.plan(volume, scan_volume(sim.root).files)
    (id0, f0, _), (id1, f1, _), _ = plan
    # As a SIGKILL would leave them: clip 0 half-copied, clip 1 renamed into place but not journaled.
    partial = spool.clips_dir / f".{spool.clip_path(id0, f0.posix).name}.partial"
    partial.write_bytes(f0.path.read_bytes()[:1000])
    complete = spool.clip_path(id1, f1.posix)
    complete.write_bytes(f1.path.read_bytes())
    stray = spool.clips_dir / "notes.txt"
    stray.write_text("someone's file")

    report = spool.recover(journal)
    assert report.cleaned == [str(partial)] and not partial.exists()
    assert report.unclaimed == [str(stray)] and stray.exists()  # reported, never deleted
    outcomes = off.offload(volume, scan_volume(sim.root).files)
    assert [o.state for o in outcomes] == ["SPOOLED"] * 3
    assert [r.sha256 for r in journal.clips()] == [sha256sum(sim.root / c.relpath) for c in sim.clips]
    kinds = [e["kind"] for e in journal.events()]
    assert "recovered" in kinds and "unclaimed" in kinds
    assert journal.integrity_problems() == []


def test_a_copy_that_does_not_match_is_set_aside_not_trusted(tmp_path, profiles):
    sim = simulate(profiles, tmp_path / "cam", clips=1, seed=9)
    spool = Spool(tmp_path / "spool")
    journal = Journal(spool.root / "journal.sqlite")
    off = Offloader(journal, spool, min_free_bytes=0, thumbnails=False)
    volume = prepare_volume(sim.root, profiles)
    [(cid, f, _)] = off.plan(volume, scan_volume(sim.root).files)
    spool.clip_path(cid, f.posix).write_bytes(b"not the clip")
    [outcome] = off.offload(volume, scan_volume(sim.root).files)
    assert outcome.sha256 == sha256sum(f.path) == sha256sum(Path(outcome.spool_path))
    [aside] = list(spool.orphans_dir.iterdir())
    assert aside.read_bytes() == b"not the clip"
    assert journal.events(kinds=["orphan"])


def test_status_json_lists_what_a_person_needs(tmp_path, profiles):
    sim = simulate(profiles, tmp_path / "cam", clips=2, truncated=1, seed=4)
    journal, spool, volume, outcomes = _offload(tmp_path, profiles, sim.root)
    report = build_status(spool.root)
    assert report["counts"]["SPOOLED"] == 2
    [flagged] = report["flagged"]
    assert "truncated" in flagged["flags"] and flagged["sha256"] == sha256sum(sim.root / flagged["relpath"])
    json.dumps(report)  # serialisable for --json
    assert os.path.exists(spool.root / "journal.sqlite")


def test_register_metadata_keeps_raw_and_corrected_times(tmp_path, profiles):
    import base64
    from datetime import datetime, timedelta

    from edge_agent.upload.clip_metadata import register_metadata

    sim = simulate(profiles, tmp_path / "cam", clips=1, seed=6, device_serial="SN6", clock_offset=120)
    journal, spool, volume, outcomes = _offload(tmp_path, profiles, sim.root)
    [row] = journal.clips()
    meta = register_metadata(row, vehicle_id="CAR-12")
    start = datetime.fromisoformat(meta["camera_start"])
    assert start == sim.clips[0].camera_start
    offset = timedelta(seconds=row.clock_offset_seconds)
    assert datetime.fromisoformat(meta["corrected_start"]) == start - offset
    assert abs(row.clock_offset_seconds - 120) < 5
    assert (meta["camera_serial"], meta["vehicle_id"], meta["codec"]) == ("SN6", "CAR-12", "h264")
    assert meta["original_name"] == str(sim.clips[0].relpath)
    assert base64.b64decode(meta["thumbnail_jpeg_b64"])[:2] == b"\xff\xd8"  # a JPEG


def test_a_hard_link_is_its_own_source_with_its_own_register_metadata(tmp_path, profiles):
    # Issue 16 Found 3: two rows with the same bytes each tell the server their own source.
    from edge_agent.upload.clip_metadata import register_metadata

    sim = simulate(profiles, tmp_path / "cam", clips=1, seed=7, device_serial="SN7")
    clip = sim.root / sim.clips[0].relpath
    os.link(clip, clip.with_name("HARDLINK" + clip.suffix))
    journal, spool, volume, outcomes = _offload(tmp_path, profiles, sim.root)
    rows = journal.clips()
    assert len(rows) == 2 and len({r.sha256 for r in rows}) == 1
    metas = [register_metadata(r, vehicle_id="CAR-12") for r in rows]
    assert [m["source_relpath"] for m in metas] == [r.relpath for r in rows]
    assert [m["source_key"] for m in metas] == [r.source_key for r in rows]
    assert len({m["source_key"] for m in metas}) == 2


def test_a_full_spool_is_journaled_once_per_pause_not_at_every_rescan(tmp_path, profiles):
    # Issue 16 Found 1: a new spool_full event at every rescan (its text carries the free-byte count)
    # filled the spool again.
    sim = simulate(profiles, tmp_path / "cam", clips=2, seed=31)
    spool = Spool(tmp_path / "spool")
    journal = Journal(spool.root / "journal.sqlite")
    off = Offloader(journal, spool, min_free_bytes=10**15, thumbnails=False)
    volume = prepare_volume(sim.root, profiles)
    files = scan_volume(sim.root).files
    free = iter(range(10**9, 0, -1000))
    spool.free_bytes = lambda: next(free)  # the free count differs at every rescan
    for _ in range(20):  # twenty rescans while the spool stays full
        batch = off.offload_batch(volume, off.plan(volume, files))
        assert batch.error is not None and "spool full" in str(batch.error)
    assert len(journal.events(kinds=["spool_full"])) == 1
    off.min_free_bytes = 0  # space came back
    assert off.offload_batch(volume, off.plan(volume, files)).error is None
    assert journal.counts()["SPOOLED"] == 2
    assert [e["kind"] for e in journal.events(kinds=["spool_full", "spool_space"])] == [
        "spool_space",
        "spool_full",
    ]
    journal.close()


def test_a_clip_that_shrinks_mid_copy_fails_alone_and_its_stale_row_is_superseded(tmp_path, profiles):
    # Issue 16 Found 5: a shrink was reported as "volume removed mid-copy" and stopped the run (the intact
    # clips after it were not tried); the old row then stayed DISCOVERED for ever, "waiting to retry".
    sim = simulate(profiles, tmp_path / "cam", clips=3, seed=41)
    first = sim.root / sim.clips[0].relpath
    first.write_bytes(os.urandom(24 * 1024 * 1024))  # big enough to be read in several buffers
    spool = Spool(tmp_path / "spool")
    journal = Journal(spool.root / "journal.sqlite")
    off = Offloader(journal, spool, min_free_bytes=0, thumbnails=False)
    volume = prepare_volume(sim.root, profiles)

    def shrink(f, done):
        if f.path == first and done and first.stat().st_size > done:
            os.truncate(first, done)  # the camera rewrote the file shorter while we read it

    batch = off.offload_batch(volume, off.plan(volume, scan_volume(sim.root).files), progress=shrink)
    assert batch.error is None, batch.error
    states = {o.relpath: o.state for o in batch.outcomes}
    assert states[str(sim.clips[0].relpath)] == "DISCOVERED"
    assert [states[str(c.relpath)] for c in sim.clips[1:]] == ["SPOOLED", "SPOOLED"]
    old = journal.by_source_key(journal.clips()[0].source_key)
    assert "changed size mid-copy" in old.error

    again = off.offload_batch(volume, off.plan(volume, scan_volume(sim.root).files))  # the next dock
    assert again.error is None and [o.state for o in again.outcomes] == ["SPOOLED"]
    new = journal.get(again.outcomes[0].clip_id)
    assert new.sha256 == sha256sum(first) and new.id != old.id
    stale = journal.get(old.id)
    assert stale.superseded_by == new.id and stale.state == "DISCOVERED"  # kept, never deleted
    counts = journal.counts()
    assert counts["DISCOVERED"] == 0 and counts["SUPERSEDED"] == 1 and counts["SPOOLED"] == 3
    report = build_status(spool.root)
    assert report["retrying"] == [] and report["oldest_unreceipted"]["id"] != old.id
    assert "waiting to retry" not in render(report)
    journal.close()
