"""The sweeper deletes a clip's related files (sidecars) with it, and only with it: its
deletion certificate lists them."""

from __future__ import annotations

import json

import pytest

from ingest_server.related.models import RelatedFile
from ingest_server.sweeper import service as sweeper
from tests.ingest_server.helpers import clip_bytes
from tests.ingest_server.related_helpers import FILES, upload_with_related
from tests.support.clock import START

# The server's clock travels years here (from 2010): on moto, see the time_travel marker.
pytestmark = pytest.mark.time_travel

RECORDED = {
    "camera_start": START.isoformat(),
    "camera_end": START.isoformat(),
    "corrected_start": START.isoformat(),
    "corrected_end": START.isoformat(),
}


def _versions(ctx, key):
    listed = ctx.storage.client.list_object_versions(Bucket=ctx.storage.bucket, Prefix=key)
    return [v["VersionId"] for v in listed.get("Versions", [])]


def test_sweeper_deletes_sidecars_with_their_clip_and_certifies_them(client, ctx, people, clock):
    reg, receipt = upload_with_related(client, people.auth("device"), clip_bytes(8000, seed=41), **RECORDED)
    related = receipt["receipt"]["related"]
    clock.advance(days=200)
    assert sweeper.sweep(ctx=ctx, dry_run=False).deleted == []  # within the year: nothing goes
    assert all(_versions(ctx, r["object_key"]) == [r["version_id"]] for r in related)

    clock.advance(days=400)
    swept = sweeper.sweep(ctx=ctx, dry_run=False)
    assert swept.deleted == [reg["clip_id"]], swept.lines()
    assert all(r["version_id"] not in _versions(ctx, r["object_key"]) for r in related)
    cert = json.loads(
        ctx.storage.client.get_object(Bucket=ctx.storage.bucket, Key=f"certificates/{reg['clip_id']}.json")[
            "Body"
        ].read()
    )
    assert sorted((r["name"], r["sha256"], r["version_id"]) for r in cert["related"]) == sorted(
        (r["name"], r["sha256"], r["version_id"]) for r in related
    )
    assert {r["name"] for r in cert["related"]} == set(FILES)
    with ctx.sessions() as session:
        states = {r.state for r in session.query(RelatedFile).filter_by(clip_id=reg["clip_id"])}
    assert states == {"deleted"}
