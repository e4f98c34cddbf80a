"""A clip's sidecars go up with it (declared at register, PUT from the spool, covered by the
receipt); their spool copies go only after that receipt plus the grace period, never before,
and a sidecar the receipt does not cover stays."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

from edge_agent.core.clip_state import ClipState
from edge_agent.release.spool_cleanup import clean_spool
from tests.edge_agent.upload.conftest import add_spooled

GRACE = timedelta(hours=24)
POINTS = [["2026-11-24T10:00:00+00:00", 41.76, -72.68], ["2026-11-24T10:01:00+00:00", 41.7612, -72.679]]


def _with_sidecars(env, name: str) -> tuple[int, list[Path]]:
    clip_id = add_spooled(env.journal, env.spool, name)
    paths, copies = [], []
    for n, (suffix, body) in enumerate(((".XML", b"<clip><track/></clip>"), (".JSON", b'{"event": true}'))):
        path = env.spool / f"{clip_id:08d}.sidecar{n}{suffix.lower()}"
        path.write_bytes(body)
        paths.append(path)
        copies.append(
            {
                "relpath": f"MEDIA/{name}{suffix}",
                "spool_path": str(path),
                "sha256": hashlib.sha256(body).hexdigest(),
                "size": len(body),
            }
        )
    row = env.journal.get(clip_id)
    env.journal.transition(
        clip_id, row.state, row.state, metadata_json={"sidecar_copies": copies, "gps": POINTS}
    )
    return clip_id, paths


def _stored_at(env, clip_id: int) -> datetime:
    return datetime.fromisoformat(json.loads(env.journal.get(clip_id).receipt_json)["receipt"]["stored_at"])


def test_sidecars_are_uploaded_and_their_spool_copies_go_only_after_receipt_and_grace(upload_env):
    env = upload_env
    clip_id, paths = _with_sidecars(env, "B1_20261124-100000")
    svc = env.service()

    # before the receipt nothing goes, whatever the time
    assert clean_spool(env.journal, grace=GRACE, now=lambda: datetime.now().astimezone() + 10 * GRACE) == []
    assert all(p.exists() for p in paths)

    assert svc.uploader.run_once() == 1
    row = env.journal.get(clip_id)
    assert row.state == ClipState.RECEIPTED
    sha = row.sha256
    held = env.server.clips[sha]
    assert {n: hashlib.sha256(b).hexdigest() for n, b in held["files"].items()} == {
        f"MEDIA/B1_20261124-100000{s}": hashlib.sha256(p.read_bytes()).hexdigest()
        for s, p in zip((".XML", ".JSON"), paths, strict=True)
    }
    assert {r["kind"] for r in held["related"].values()} == {"xml", "json"}
    assert [p["lat"] for p in held["gps_track"]["points"]] == [41.76, 41.7612]
    assert {r["name"] for r in json.loads(row.receipt_json)["receipt"]["related"]} == set(held["files"])

    stored = _stored_at(env, clip_id)
    assert clean_spool(env.journal, grace=GRACE, now=lambda: stored + GRACE - timedelta(seconds=1)) == []
    assert all(p.exists() for p in paths)  # receipted, but within the grace period
    assert clean_spool(env.journal, grace=GRACE, now=lambda: stored + GRACE + timedelta(seconds=1)) == [
        clip_id
    ]
    assert not any(p.exists() for p in paths) and not Path(row.spool_path).exists()


def test_a_sidecar_the_receipt_does_not_cover_stays_in_the_spool(upload_env):
    env = upload_env
    clip_id, paths = _with_sidecars(env, "B1_20261124-110000")
    env.service().uploader.run_once()
    row = env.journal.get(clip_id)
    receipt = json.loads(row.receipt_json)
    receipt["receipt"]["related"] = [r for r in receipt["receipt"]["related"] if r["name"].endswith(".XML")]
    env.journal.transition(clip_id, row.state, row.state, receipt_json=receipt)  # as if only the XML
    stored = _stored_at(env, clip_id)
    assert clean_spool(env.journal, grace=GRACE, now=lambda: stored + 2 * GRACE) == [clip_id]
    assert [p.exists() for p in paths] == [False, True]
    assert (
        "1 sidecar copy(ies) not in the receipt kept"
        in env.journal.events(kinds=["spool_removed"])[0]["message"]
    )
