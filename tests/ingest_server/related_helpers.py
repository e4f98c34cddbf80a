"""Test helpers for related files (sidecars): declare them at register, PUT them, complete."""

from __future__ import annotations

import hashlib

import httpx

from tests.ingest_server.helpers import manifest_for, metadata, put_parts

XML = (
    b'<clip><unit serial="X81234"/><track>'
    b'<pt lat="41.76" lon="-72.68" time="2026-11-24T10:00:00Z"/></track></clip>'
)
JSON = b'{"officer": "B1234", "event": true}'


def declared(files: dict[str, bytes]) -> list[dict]:
    return [
        {
            "name": name,
            "size": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "kind": name.rsplit(".", 1)[1].lower(),
        }
        for name, body in files.items()
    ]


FILES = {"MEDIA/B1234_20261124-100000.XML": XML, "MEDIA/B1234_20261124-100000.JSON": JSON}
TRACK = {
    "sidecar": "MEDIA/B1234_20261124-100000.XML",
    "points": [
        {"time": "2026-11-24T10:00:00+00:00", "lat": 41.7600, "lon": -72.6800},
        {"time": "2026-11-24T10:01:00+00:00", "lat": 41.7612, "lon": -72.6790},
    ],
}


def register_with_related(client, headers, data, files=FILES, track=TRACK, **meta):
    body = {
        "manifest": manifest_for(data).as_dict(),
        "metadata": metadata(**meta),
        "related": declared(files),
        "gps_track": track,
    }
    return client.post("/api/v1/uploads/register", headers=headers, json=body)


def put_related(reg: dict, files: dict[str, bytes]) -> None:
    for item in reg["related"]:
        if item["present"]:
            continue
        response = httpx.put(
            item["url"],
            content=files[item["name"]],
            headers={"x-amz-checksum-sha256": item["checksum_sha256"]},
        )
        assert response.status_code == 200, response.text


def complete(client, headers, reg, etags):
    return client.post(f"/api/v1/uploads/{reg['clip_id']}/complete", headers=headers, json={"parts": etags})


def upload_with_related(client, headers, data, files=FILES, **meta):
    """Register with related files, PUT parts and files, complete; (register answer, receipt)."""
    reg = register_with_related(client, headers, data, files, **meta).json()
    etags = put_parts(reg, data)
    put_related(reg, files)
    done = complete(client, headers, reg, etags)
    assert done.status_code == 200, done.text
    return reg, done.json()
