"""A clip found on two cameras shows both sightings on its console page, is found by the
second camera's serial, and its court package records both (issue 16, Found 3)."""

from __future__ import annotations

import io
import json
import zipfile

from tests.ingest_server import helpers
from tests.portal.conftest import sign_in
from tests.portal.test_shares import _share_id, make_share

FIRST = {"camera_serial": "SIM6AFF78", "officer_id": "B1234", "original_name": "CLIP0001.MP4"}
OTHER = {"camera_serial": "OTHERCAM9", "officer_id": "B9999", "original_name": "OTHER_0042.MP4"}


def test_both_sightings_on_the_clip_page_in_search_and_in_the_package(client, people, ctx):
    data = helpers.clip_bytes(20_000, seed=9)
    reg, _ = helpers.upload(client, people.auth("device"), data, **FIRST)
    assert helpers.register(client, people.auth("device"), data, **OTHER).status_code == 200
    clip_id = reg["clip_id"]
    sign_in(client)

    page = client.get(f"/portal/clips/{clip_id}").text
    table = page[page.index('id="sightings"') :]
    for text in ("SIM6AFF78", "B1234", "CLIP0001.MP4", "OTHERCAM9", "B9999", "OTHER_0042.MP4"):
        assert text in table, text
    assert f"/portal/clips/{clip_id}" in client.get("/portal/clips", params={"serial": "OTHERCAM9"}).text
    assert f"/portal/clips/{clip_id}" in client.get("/portal/clips", params={"officer": "B9999"}).text
    assert f"/portal/clips/{clip_id}" not in client.get("/portal/clips", params={"serial": "NOSUCH"}).text

    make_share(client, [clip_id], allow_download="1")
    package = client.get(f"/portal/shares/{_share_id(ctx)}/package.zip")
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        names = archive.namelist()
        record = json.loads(archive.read(next(n for n in names if n.endswith(".custody.json"))))
        html = archive.read(next(n for n in names if n.endswith(".mp4.html"))).decode()
    assert [(s["camera_serial"], s["officer_id"]) for s in record["sightings"]] == [
        ("SIM6AFF78", "B1234"),
        ("OTHERCAM9", "B9999"),
    ]
    sighted = [e for e in record["events"] if e["event_type"] == "clip.sighted"]
    assert len(sighted) == 2 and "OTHERCAM9" in sighted[1]["detail"]
    listed = html[html.index('class="sightings"') :]
    assert "camera OTHERCAM9" in listed and "officer B9999" in listed and "as OTHER_0042.MP4" in listed
