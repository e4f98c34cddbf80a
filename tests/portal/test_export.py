"""The court package: a BagIt zip that validates with the `bagit` package, whose
manifest equals the index's SHA-256 of every clip, with originals byte for byte,
readable names, bag-info, and a chain-of-custody report per clip (CSV and HTML)."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import UTC, datetime

import bagit
import pytest
from sqlalchemy import select

from ingest_server.clips.models import Clip
from ingest_server.export import bag
from tests.portal.conftest import sign_in
from tests.portal.test_shares import _share_id, make_share


def _unzip(content: bytes, into):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        archive.extractall(into)
    top = {n.split("/")[0] for n in names}
    assert len(top) == 1
    return into / top.pop()


def _manifest(bag_dir) -> dict[str, str]:
    lines = (bag_dir / "manifest-sha256.txt").read_text().splitlines()
    return {path: digest for digest, path in (line.split(maxsplit=1) for line in lines)}


def test_share_package_validates_and_matches_the_index(client, people, ctx, stored, tmp_path):
    sign_in(client)
    make_share(client, list(stored), allow_download="1")
    share_id = _share_id(ctx)
    response = client.get(f"/portal/shares/{share_id}/package.zip")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert response.headers["x-content-sha256"] == hashlib.sha256(response.content).hexdigest()
    bag_dir = _unzip(response.content, tmp_path / "out")

    bagit.Bag(str(bag_dir)).validate()  # raises if anything is off
    with ctx.sessions() as session:
        index = {c.id: c for c in session.execute(select(Clip).where(Clip.id.in_(list(stored)))).scalars()}
    manifest = _manifest(bag_dir)
    originals = {p: d for p, d in manifest.items() if p.count("/") == 1 and p != "data/README.txt"}
    assert sorted(originals.values()) == sorted(c.sha256 for c in index.values())
    assert set(originals) == {
        "data/B1234_2026-11-24_100002Z_X81234.mp4",
        "data/B5678_2026-11-24_100030Z_DC-77.mp4",
    }
    for path, digest in originals.items():
        data = (bag_dir / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest
        assert data in stored.values()  # unchanged bytes

    info = (bag_dir / "bag-info.txt").read_text()
    assert "Exporter: user:custodian1" in info and f"Share-Id: {share_id}" in info
    assert "Recipient: ADA Jane Roe" in info and "Export-Time: 2026-11-24T12:00:00Z" in info

    name = "B1234_2026-11-24_100002Z_X81234.mp4"
    rows = list(csv.DictReader(io.StringIO((bag_dir / f"data/chain-of-custody/{name}.csv").read_text())))
    events = [r["event_type"] for r in rows]
    assert "clip.stored" in events and events.index("clip.stored") < events.index("clip.exported")
    assert {"clip.shared", "clip.exported"} <= set(events)
    html = (bag_dir / f"data/chain-of-custody/{name}.html").read_text()
    sha = hashlib.sha256(stored[next(iter(stored))]).hexdigest()
    assert f"Chain of custody: {name}" in html and sha in html and "clip.exported" in html


def test_recipient_package_counts_as_a_download_and_is_audited(client, people, ctx, stored, tmp_path):
    sign_in(client)
    path = make_share(client, list(stored), allow_download="1", download_limit="1")
    client.cookies.clear()
    response = client.get(f"{path}/package.zip")
    assert response.status_code == 200
    bagit.Bag(str(_unzip(response.content, tmp_path / "p"))).validate()
    assert client.get(f"{path}/package.zip").status_code == 403  # the one download is used


def test_export_refuses_bytes_that_differ_from_the_index(ctx, client, people, stored, tmp_path):
    class Tampering:
        def __init__(self, real):
            self.real = real

        def read(self, key, version_id, byte_range=None):
            chunks, n = self.real.read(key, version_id, byte_range)
            data = b"".join(chunks)
            return iter([data[:-1] + bytes([data[-1] ^ 1])]), n

    out = tmp_path / "exports"
    out.mkdir()
    with ctx.sessions() as session:
        clips = list(session.execute(select(Clip)).scalars())
        with pytest.raises(bag.ExportError, match="export refused"):
            bag.build(
                session=session,
                storage=Tampering(ctx.storage),
                clips=clips,
                exporter="test",
                now=datetime(2026, 11, 24, tzinfo=UTC),
                out_dir=out,
            )
    assert list(out.iterdir()) == []  # nothing half-made is left behind


def test_readable_names_are_safe_and_unique():
    from ingest_server.export.naming import readable_name, unique_names

    when = datetime(2026, 11, 24, 10, 0, 2, tzinfo=UTC)
    odd = Clip(
        id="a" * 32,
        officer_id="../B 12/34",
        camera_serial="X:81\\234",
        corrected_start=when,
        original_name="clip.MP4",
    )
    twin = Clip(
        id="b" * 32,
        officer_id="../B 12/34",
        camera_serial="X:81\\234",
        corrected_start=when,
        original_name="CLIP.mp4",
    )
    bare = Clip(
        id="c" * 32,
        officer_id=None,
        camera_serial=None,
        vehicle_id=None,
        corrected_start=None,
        camera_start=None,
        original_name="no-suffix",
    )
    assert readable_name(odd) == "B-12-34_2026-11-24_100002Z_X-81-234.mp4"
    assert unique_names([odd, twin, bare]) == {
        "a" * 32: "B-12-34_2026-11-24_100002Z_X-81-234.mp4",
        "b" * 32: "B-12-34_2026-11-24_100002Z_X-81-234_2.mp4",
        "c" * 32: "officer-unknown_undated_camera.bin",
    }
