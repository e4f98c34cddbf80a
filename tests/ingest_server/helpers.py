"""Test helpers: make clip bytes and manifests, drive the upload flow."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx

from hashing import Manifest, digest_bytes
from tests.support.media import mp4_like

MIB = 1024 * 1024


@dataclass
class Tokens:
    tokens: dict[str, str]

    def __getitem__(self, role: str) -> str:
        return self.tokens[role]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def clip_bytes(size: int, seed: int = 0) -> bytes:
    """Distinct made-up clip bytes that start like an MP4 (the server sniffs the container)."""
    return mp4_like((os.urandom(16) + seed.to_bytes(4, "big")) * (size // 20) + b"x" * (size % 20))


def manifest_for(data: bytes, part_size: int = 8 * MIB) -> Manifest:
    return Manifest.from_digest(digest_bytes(data, part_size))


def metadata(**overrides) -> dict:
    base = {
        "original_name": "AXON_0019283746.MP4",
        "officer_id": "B1234",
        "vehicle_id": "V17",
        "camera_serial": "X81234",
        "profile": "axon-body-3",
        "camera_start": "2026-11-24T10:00:00+00:00",
        "camera_end": "2026-11-24T10:05:00+00:00",
        "corrected_start": "2026-11-24T10:00:02+00:00",
        "corrected_end": "2026-11-24T10:05:02+00:00",
        "clock_offset_seconds": -2.0,
        "duration_seconds": 300.0,
        "container": "mp4",
        "codec": "h264",
        "width": 1920,
        "height": 1080,
        "fps": 30.0,
        "has_audio": True,
        "flags": ["event"],
    }
    base.update(overrides)
    return base


def register(
    client,
    headers,
    data: bytes | None = None,
    *,
    manifest: Manifest | None = None,
    part_size: int = 8 * MIB,
    **meta,
):
    manifest = manifest or manifest_for(data, part_size)
    return client.post(
        "/api/v1/uploads/register",
        headers=headers,
        json={"manifest": manifest.as_dict(), "metadata": metadata(**meta)},
    )


def put_parts(
    registered: dict, data: bytes, only: set[int] | None = None, replace: dict[int, bytes] | None = None
) -> list[dict]:
    """PUT each part's bytes to its presigned URL, as the agent does; return the part ETags."""
    done = []
    part_size = registered["part_size"]
    for part in registered["parts"]:
        n = part["part_number"]
        if only is not None and n not in only:
            continue
        body = (replace or {}).get(n, data[(n - 1) * part_size : n * part_size])
        response = httpx.put(
            part["url"], content=body, headers={"x-amz-checksum-sha256": part["checksum_sha256"]}
        )
        assert response.status_code == 200, response.text
        done.append({"part_number": n, "etag": response.headers["etag"]})
    return done


def upload(client, headers, data: bytes, part_size: int = 8 * MIB, **meta) -> tuple[dict, dict]:
    """Register, PUT all parts, complete; return (register response, receipt)."""
    registered = register(client, headers, data, part_size=part_size, **meta)
    assert registered.status_code == 200, registered.text
    reg = registered.json()
    etags = put_parts(reg, data)
    completed = client.post(
        f"/api/v1/uploads/{reg['clip_id']}/complete", headers=headers, json={"parts": etags}
    )
    assert completed.status_code == 200, completed.text
    return reg, completed.json()
