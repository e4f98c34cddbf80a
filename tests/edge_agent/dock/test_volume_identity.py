"""A camera's identity is read from the volume as a whole, so it does not change as clips go."""

from __future__ import annotations

import shutil

from edge_agent.core.journal import Journal
from edge_agent.core.spool import Spool
from edge_agent.dock.scan import scan_volume
from edge_agent.dock.volume import prepare_volume
from edge_agent.offload.offloader import Offloader
from tests.support.agent import simulate


def test_the_serial_does_not_come_from_whichever_clips_sort_first(tmp_path, profiles):
    # Issue 16 Found 8: a json-sidecar camera whose first clips by name carried no serial was keyed
    # volume:CAM; once those were released and the agent restarted, the key became the real serial,
    # the remaining clips were copied into the spool again.
    sim = simulate(profiles, tmp_path / "CAM", profile="json-sidecar-bodycam", clips=3, seed=51)
    sample = sim.root / sim.clips[0].relpath
    unnamed = []
    for n in range(5):  # recovered clips whose names carry no serial, sorting before the rest
        clip = sample.with_name(f"0RECOVERED_{n}.mp4")
        shutil.copyfile(sample, clip)
        clip.write_bytes(clip.read_bytes() + bytes([n]))  # other bytes: other clips
        unnamed.append(clip)
    serial = sample.name.split("_")[0]

    volume = prepare_volume(sim.root, profiles)
    assert volume.serial_key == serial, volume.serial_key
    spool = Spool(tmp_path / "spool")
    journal = Journal(spool.root / "journal.sqlite")
    off = Offloader(journal, spool, min_free_bytes=0, thumbnails=False)
    assert off.offload_batch(volume, off.plan(volume, scan_volume(sim.root).files)).error is None
    assert journal.counts()["SPOOLED"] == 8

    for clip in unnamed:  # released (deleted) from the camera; then the agent restarts and it docks again
        clip.unlink()
    again = prepare_volume(sim.root, profiles)
    assert again.serial_key == serial
    assert off.plan(again, scan_volume(sim.root).files) == []  # nothing copied into the spool twice
    assert len(journal.clips()) == 8
    journal.close()
