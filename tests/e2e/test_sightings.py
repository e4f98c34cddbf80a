"""Issue 16, Found 3, end to end: the same bytes on two cameras and under a hard link.

The real agent service docks two json-sidecar cameras (serials SIM6AFF78 and
OTHERCAM9, officers B1234 and B9999) holding the same clip bytes; the first also
holds a hard link `HARDLINK.mp4` to its clip (no sidecar: no officer, no start
time; it sorts first, so it registers first). All three journal rows get a
receipt for the one server clip and are released; the server keeps three
sightings, each with what its source said, and finds the clip by either serial
and either officer. The hard link registered first leaves the clip with the
real clip's officer and start time.
"""

from __future__ import annotations

import hashlib
import os
import shutil

from edge_agent.service import Agent
from edge_agent.simulator import simulate_camera
from firmware_profiles import get_profile, load_profiles
from tests.support.polling import wait_until

SERIALS = ("SIM6AFF78", "OTHERCAM9")


def test_two_cameras_and_a_hard_link_of_the_same_bytes_keep_every_sighting(tmp_path, server):
    profiles = load_profiles()
    profile = get_profile("json-sidecar-bodycam", profiles)  # release = delete, full re-hash first
    dock, staging = tmp_path / "dock", tmp_path / "staging"
    dock.mkdir()
    first = simulate_camera(
        profile, staging / "CAMA", clips=1, seconds=1.0, seed=11, officer_id="B1234", device_serial=SERIALS[0]
    )
    other = simulate_camera(
        profile, staging / "CAMB", clips=1, seconds=1.0, seed=12, officer_id="B9999", device_serial=SERIALS[1]
    )
    clip_a = first.root / first.clips[0].relpath
    clip_b = other.root / other.clips[0].relpath
    shutil.copyfile(clip_a, clip_b)  # the same bytes, under camera B's own name and sidecar
    os.link(clip_a, clip_a.parent / "HARDLINK.mp4")
    sha = hashlib.sha256(clip_a.read_bytes()).hexdigest()

    settings = server.agent_settings(
        tmp_path, dock=dock, vehicle_id="V17", spool_grace_seconds=0, upload_poll_seconds=0.3
    )
    agent = Agent(settings, profiles=profiles, use_watchdog=False)
    agent.start()
    try:
        (staging / "CAMA").rename(dock / "CAMA")
        (staging / "CAMB").rename(dock / "CAMB")
        rows = wait_until(
            lambda: (
                (r := agent.journal.clips()) and len(r) == 3 and {x.state for x in r} == {"RELEASED"} and r
            ),
            120,
            "three released rows",
        )
    finally:
        agent.stop()
    assert {r.sha256 for r in rows} == {sha}
    assert len({r.server_clip_id for r in rows}) == 1

    with server.custodian() as api:
        found = api.get("/api/v1/clips", params={"sha256": sha}).json()["items"]
        assert len(found) == 1
        clip = found[0]
        assert clip["officer_id"] in ("B1234", "B9999") and clip["corrected_start"] is not None
        for query in ({"camera_serial": "OTHERCAM9"}, {"officer_id": "B9999"}, {"officer_id": "B1234"}):
            items = api.get("/api/v1/clips", params=query).json()["items"]
            assert [c["id"] for c in items] == [clip["id"]], query
        named = {s["original_name"].rsplit("/", 1)[-1]: s for s in clip["sightings"]}
        assert set(named) == {"HARDLINK.mp4", clip_a.name, clip_b.name}
        assert named["HARDLINK.mp4"]["officer_id"] is None and named["HARDLINK.mp4"]["camera_start"] is None
        said = {name: (s["camera_serial"], s["officer_id"]) for name, s in named.items()}
        assert said[clip_a.name] == ("SIM6AFF78", "B1234") and said[clip_b.name] == ("OTHERCAM9", "B9999")
        assert all(s["source_relpath"] for s in clip["sightings"])
