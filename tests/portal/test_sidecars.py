"""A clip's sidecars on the console and in the court package: listed on the clip page with full
SHA-256s, downloaded (audited), the GPS track drawn as an inline SVG; in the bag under the
clip's folder, in manifest-sha256.txt and the custody report, checked by the package's checker."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile

import bagit
from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from tests.ingest_server.helpers import clip_bytes
from tests.ingest_server.related_helpers import FILES, upload_with_related
from tests.portal.conftest import sign_in
from tests.portal.test_package_proves_itself import _check
from tests.portal.test_shares import _share_id, make_share


def test_clip_page_lists_sidecars_draws_the_track_and_audits_downloads(client, people, ctx):
    reg, _ = upload_with_related(client, people.auth("device"), clip_bytes(20_000, seed=51))
    sign_in(client)
    page = client.get(f"/portal/clips/{reg['clip_id']}")
    assert page.status_code == 200
    for name, body in FILES.items():
        assert name in page.text and hashlib.sha256(body).hexdigest() in page.text
    svg = re.search(r'<svg id="gps-track".*?</svg>', page.text, re.S).group(0)
    points = re.search(r'<polyline points="([^"]+)"', svg).group(1).split()
    assert len(points) == 2 and points[0] != points[1]
    assert 'id="track-start"' in svg and 'id="track-end"' in svg
    assert "latitude 41.76000 to 41.76120" in page.text and "<script" not in svg

    link = re.search(rf'href="(/portal/clips/{reg["clip_id"]}/related/[0-9a-f]+)"', page.text).group(1)
    got = client.get(link)
    assert got.status_code == 200 and got.content in FILES.values()
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"
    with ctx.sessions() as session:
        events = session.execute(
            select(AuditEvent).where(AuditEvent.event_type == "clip.related_downloaded")
        ).scalars()
        [event] = list(events)
    assert json.loads(event.detail)["sha256"] == hashlib.sha256(got.content).hexdigest()
    assert "custodian1" in event.actor
    assert client.get(f"/portal/clips/{reg['clip_id']}/related/{'0' * 32}").status_code == 404


def test_sidecars_are_in_the_bag_and_checked_by_the_package(client, people, ctx, tmp_path):
    reg, receipt = upload_with_related(client, people.auth("device"), clip_bytes(20_000, seed=52))
    sign_in(client)
    make_share(client, [reg["clip_id"]], allow_download="1")
    response = client.get(f"/portal/shares/{_share_id(ctx)}/package.zip")
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(tmp_path / "bag")
    [bag_dir] = list((tmp_path / "bag").iterdir())
    lines = (bag_dir / "manifest-sha256.txt").read_text().splitlines()
    manifest = {path.strip(): digest for digest, path in (line.split(" ", 1) for line in lines)}
    sidecars = {k: v for k, v in manifest.items() if k.startswith("data/sidecars/")}
    assert sorted(sidecars.values()) == sorted(hashlib.sha256(b).hexdigest() for b in FILES.values())
    for rel, digest in sidecars.items():
        assert hashlib.sha256((bag_dir / rel).read_bytes()).hexdigest() == digest
    [report] = list((bag_dir / "data" / "chain-of-custody").glob("*.html"))
    assert all(hashlib.sha256(b).hexdigest() in report.read_text() for b in FILES.values())
    done = _check(bag_dir)
    assert done.returncode == 0, done.stdout
    assert "checked 2 sidecar file(s)" in done.stdout

    # other bytes for one sidecar, with both BagIt manifests redone: the signed receipt names it
    rel = sorted(sidecars)[0]
    (bag_dir / rel).write_bytes(b"<clip/>")
    bagit.Bag(str(bag_dir)).save(manifests=True)
    done = _check(bag_dir)
    assert done.returncode == 1 and "NOT VERIFIED" in done.stdout
    assert "sidecar MEDIA/" in done.stdout and rel in done.stdout, done.stdout
    assert receipt["receipt"]["related"]
