"""Helpers: report bodies, clip rows inserted directly (for linking at scale), uploads at a given time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from ingest_server.clips.models import STORED, Clip
from ingest_server.devices.models import Device
from tests.ingest_server import helpers as server_helpers


def iso(moment: datetime) -> str:
    return moment.isoformat()


def report_body(number: str, start: datetime, end: datetime, **overrides) -> dict:
    body = {
        "number": number,
        "incident_start": iso(start),
        "incident_end": iso(end),
        "town": "Hartford",
        "location": "Main St and Elm St",
        "description": "Subject resisted arrest.",
        "officers": ["B1234"],
        "vehicles": [],
        "force_types": ["strike"],
        "subjects": [
            {
                "role": "subject",
                "name": "John Roe",
                "race": "white",
                "gender": "male",
                "age_group": "25_34",
                "injured": False,
                "force_types": ["strike"],
            }
        ],
    }
    body.update(overrides)
    return body


def upload_at(client, headers, start: datetime, minutes: float = 5, size: int = 4096, seed: int = 0, **meta):
    """Upload a small clip recorded from `start` for `minutes`; returns its clip id."""
    end = start + timedelta(minutes=minutes)
    data = server_helpers.clip_bytes(size, seed)
    reg, _ = server_helpers.upload(
        client,
        headers,
        data,
        camera_start=iso(start),
        camera_end=iso(end),
        corrected_start=iso(start),
        corrected_end=iso(end),
        duration_seconds=minutes * 60,
        **meta,
    )
    return reg["clip_id"]


def device_id(session, name: str = "car-17") -> str:
    return session.execute(select(Device.id).where(Device.name == name)).scalar_one()


def insert_clip(
    session,
    device: str,
    *,
    officer: str | None,
    vehicle: str | None,
    start: datetime | None,
    end: datetime | None,
    corrected: bool = True,
    stored_at: datetime | None = None,
) -> Clip:
    """A stored clip row with no object behind it (for linking tests only)."""
    sha = uuid.uuid4().hex * 2
    clip = Clip(
        device_id=device,
        sha256=sha,
        size=1,
        part_size=8 << 20,
        composite="x-1",
        manifest_json="{}",
        state=STORED,
        object_key=f"originals/{sha}",
        version_id=None,
        officer_id=officer,
        vehicle_id=vehicle,
        original_name="clip.mp4",
        corrected_start=start if corrected else None,
        corrected_end=end if corrected else None,
        camera_start=None if corrected else start,
        camera_end=None if corrected else end,
        stored_at=stored_at or start,
        flags_json="[]",
        duration_seconds=(end - start).total_seconds() if start and end else None,
    )
    session.add(clip)
    return clip


class NullStore:
    """Stands in for the store where a test has clip rows with no objects: records what it is told."""

    def __init__(self) -> None:
        self.locks: list[tuple[str, datetime]] = []
        self.holds: list[tuple[str, str]] = []
        self.puts: dict[str, bytes] = {}
        self.deleted: list[str] = []
        self.bucket = "none"
        self.client = self

    def lock(self, key, version_id, mode, until) -> None:
        self.locks.append((key, until))

    def put_locked(self, key, body, mode, until, content_type) -> str:
        self.puts[key] = body
        return "v1"

    def delete_version(self, key, version_id) -> None:
        self.deleted.append(key)

    def put_object_legal_hold(self, Bucket, Key, LegalHold, **kwargs) -> None:  # noqa: N803 (boto3 names)
        self.holds.append((Key, LegalHold["Status"]))
