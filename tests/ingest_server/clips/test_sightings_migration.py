"""Migration 0350: the clip_sightings table as the model describes it, and one sighting for
each clip stored before it, keyed so that the same source registered again adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from ingest_server import migrate
from ingest_server.clips.sightings import SightingFacts, sighting_key
from tests.support.migrations import model_differences


def test_migration_matches_the_model(tmp_path):
    assert model_differences(tmp_path, {"clip_sightings"}) == []


def test_clips_stored_before_get_their_one_sighting_keyed_as_register_keys_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate.upgrade(url, "0320")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO devices (id, name, token_hash, vehicle_id, enrolled_at, disabled) "
                "VALUES ('d1', 'car-17', 'h', 'V17', '2026-11-24 10:00:00', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO clips (id, device_id, sha256, size, part_size, composite, manifest_json, state, "
                "object_key, camera_serial, officer_id, vehicle_id, original_name, camera_start, "
                "clock_offset_seconds, flags_json, category, registered_at, row_version) VALUES "
                "('c1', 'd1', :sha, 1, 1, 'x-1', '{}', 'stored', 'k', 'SIM6AFF78', 'B1234', 'V17', "
                "'CLIP0001.MP4', '2026-11-24 10:00:04.500000', 4.5, '[]', 'unclassified', "
                "'2026-11-24 11:00:00', 1)"
            ),
            {"sha": "a" * 64},
        )
    migrate.upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT clip_id, camera_serial, officer_id, original_name, sighting_key FROM clip_sightings")
        ).all()
    engine.dispose()
    same_source = SightingFacts(
        original_name="CLIP0001.MP4",
        camera_serial="SIM6AFF78",
        officer_id="B1234",
        camera_start=datetime(2026, 11, 24, 10, 0, 4, 500000, tzinfo=UTC),
    )
    assert rows == [("c1", "SIM6AFF78", "B1234", "CLIP0001.MP4", sighting_key(same_source))]
