"""The camera clock, measured honestly, from the car to the court.

The demo's camera runs 4.5 s fast (was recorded as +3.747 s); a camera with a
correct clock docked 10 s after it wrote its clock file was recorded as -11.9 s.
Both are now recorded within their stated uncertainty of the truth, in the
journal, in the server's index, and in the custody report of the court package.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from edge_agent.dock.volume import measure_clock, prepare_volume
from edge_agent.service import Agent
from edge_agent.simulator import simulate_camera
from firmware_profiles import get_profile, load_profiles
from tests.support.polling import wait_until

DEMO_PROFILE = "json-sidecar-bodycam"  # demo/__main__.py:BODYCAM_PROFILE


def test_measure_clock_is_the_offset_at_the_writing_moment_within_resolution():
    written = datetime(2026, 11, 24, 10, 0, 0, 300_000, tzinfo=UTC)
    camera = (written + timedelta(seconds=4.5)).replace(microsecond=0)  # whole seconds, truncated
    offset, uncertainty = measure_clock(camera_clock=camera, resolution_seconds=1.0, written_at=written)
    assert (offset, uncertainty) == (4.2, 1.0)
    assert abs(offset - 4.5) <= uncertainty
    assert measure_clock(
        camera_clock=camera, resolution_seconds=1.0, written_at=written, written_uncertainty_seconds=2.0
    ) == (4.2, 3.0)


@pytest.mark.parametrize(
    ("true_offset", "docked_after"),
    [(4.5, 0.0), (0.0, 10.0)],
    ids=["demo camera 4.5 s fast", "correct clock docked 10 s after writing it"],
)
def test_prepare_volume_measures_against_the_writing_moment(tmp_path, true_offset, docked_after):
    profiles = load_profiles()
    written = datetime.now(UTC) - timedelta(seconds=docked_after)
    sim = simulate_camera(
        get_profile(DEMO_PROFILE, profiles),
        tmp_path / "cam",
        clips=1,
        seconds=0.5,
        width=160,
        height=120,
        clock_offset=true_offset,
        now=lambda: written,
    )
    volume = prepare_volume(sim.root, profiles)
    clock = volume.clock
    assert abs(volume.clock_offset_seconds - true_offset) <= clock["uncertainty_seconds"] <= 1.0
    assert clock["reference"] == "file_mtime" and clock["resolution_seconds"] == 1.0
    assert clock["read_gap_seconds"] >= docked_after - 0.5  # the age of the file is recorded, not counted


def _dock_and_receipt(tmp_path, server, *, true_offset: float, docked_after: float, name: str, until=None):
    """Dock a simulated camera, run the agent until the clip's receipt (and `until(agent)`); its row."""
    profiles = load_profiles()
    dock = tmp_path / "dock"
    dock.mkdir()
    settings = server.agent_settings(tmp_path, dock=dock, vehicle_id="V17", upload_poll_seconds=0.3)
    staging = tmp_path / "staging" / name
    written = datetime.now(UTC) - timedelta(seconds=docked_after)
    simulate_camera(
        get_profile(DEMO_PROFILE, profiles),
        staging,
        clips=1,
        seconds=1.0,
        width=160,
        height=120,
        clock_offset=true_offset,
        device_serial=f"SN{int(true_offset * 10)}{int(docked_after)}",
        seed=int(true_offset * 10 + docked_after),  # different footage: a different clip on the server
        now=lambda: written,
    )
    agent = Agent(settings, profiles=profiles, use_watchdog=False)
    agent.start()
    try:
        staging.rename(dock / name)
        [row] = wait_until(
            lambda: (r := agent.journal.clips()) and all(x.receipt_json for x in r) and r, 120, "a receipt"
        )
        if until is not None:
            wait_until(lambda: until(agent), 120, "what the test waits for after the receipt")
    finally:
        agent.stop()
    return row


@pytest.mark.slow
@pytest.mark.parametrize(
    ("true_offset", "docked_after"),
    [(4.5, 0.0), (0.0, 10.0)],
    ids=["demo camera 4.5 s fast", "correct clock docked 10 s after writing it"],
)
def test_offset_and_uncertainty_in_journal_index_and_report(tmp_path, server, true_offset, docked_after):
    name = f"CAM{int(true_offset * 10)}{int(docked_after)}"
    row = _dock_and_receipt(tmp_path, server, true_offset=true_offset, docked_after=docked_after, name=name)
    journaled = row.metadata["clock"]
    assert abs(row.clock_offset_seconds - true_offset) <= journaled["uncertainty_seconds"] <= 1.0

    with server.custodian() as api:
        clip = api.get(f"/api/v1/clips/{row.server_clip_id}").json()
        assert clip["clock_offset_seconds"] == row.clock_offset_seconds
        assert clip["clock_offset_uncertainty_seconds"] == journaled["uncertainty_seconds"]
        assert abs(clip["clock_offset_seconds"] - true_offset) <= clip["clock_offset_uncertainty_seconds"]
        page = api.get(f"/api/v1/clips/{row.server_clip_id}/custody.html")
        assert page.status_code == 200, page.text
    shown = re.search(r"camera clock offset ([+-]\d+\.\d+) s ±(\d+\.\d+) s", page.text)
    assert shown, "the report shows the offset with its uncertainty"
    assert abs(float(shown.group(1)) - true_offset) <= float(shown.group(2))


def test_a_camera_that_keeps_its_clock_current_is_measured_at_reading(tmp_path):
    profiles = load_profiles()
    profile = get_profile(DEMO_PROFILE, profiles)
    at_read = profile.model_copy(update={"clock": profile.clock.model_copy(update={"written": "at_read"})})
    written = datetime.now(UTC) - timedelta(seconds=10)
    sim = simulate_camera(
        at_read,
        tmp_path / "cam",
        clips=1,
        seconds=0.5,
        width=160,
        height=120,
        clock_offset=0.0,
        now=lambda: written,
    )
    volume = prepare_volume(sim.root, profiles, profile=at_read)
    assert volume.clock["reference"] == "at_read"  # the profile says the file is current when read
    assert volume.clock_offset_seconds < -8.5  # so the file's age counts: the profile must say file_mtime
    assert volume.clock["read_gap_seconds"] >= 9.5  # and the journal shows how old the file was
