"""Applying retention: the store's Object Lock retain-until only ever grows, legal
holds reach the store, shortenings (category, hold release, policy) wait for a
second custodian with a dry run, an Inspector General matter needs two different
custodians, and only one sweeper runs at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ingest_server.clips.models import Clip
from ingest_server.retention_apply.models import ClipRetention
from ingest_server.sweeper import lease
from ingest_server.sweeper import service as sweeper
from retention import DEFAULT_POLICY_PATH
from tests.ingest_server.records_helpers import report_body, upload_at
from tests.support.clock import START

# The server's clock travels years here (from 2010): on moto, see the time_travel marker.
pytestmark = pytest.mark.time_travel


class LockSpy:
    """Wraps the real store and records every retain-until it is given."""

    def __init__(self, storage) -> None:
        self.storage, self.locks = storage, []

    def lock(self, key, version_id, mode, until):
        self.locks.append(until)
        return self.storage.lock(key, version_id, mode, until)

    def __getattr__(self, name):
        return getattr(self.storage, name)


def _legal_hold(ctx, clip_id):
    with ctx.sessions() as session:
        clip = session.get(Clip, clip_id)
        key, version = clip.object_key, clip.version_id
    got = ctx.storage.client.get_object_legal_hold(Bucket=ctx.storage.bucket, Key=key, VersionId=version)
    return got["LegalHold"]["Status"]


def test_store_lock_only_grows_and_holds_reach_the_store(client, ctx, people, clock, custodian2):
    custodian = people.auth("custodian")
    clip_id = upload_at(client, people.auth("device"), START, officer_id="B1234")
    spy = ctx.storage = LockSpy(ctx.storage)

    report = client.post(
        "/api/v1/reports",
        headers=custodian,
        json=report_body("UOF-2010-0001", START, START + timedelta(minutes=10)),
    ).json()
    hold = client.post(
        "/api/v1/holds",
        headers=custodian,
        json={"clip_id": clip_id, "matter": "Doe v. State", "reason": "preservation letter"},
    )
    assert hold.status_code == 201 and _legal_hold(ctx, clip_id) == "ON"

    clock.advance(days=30)
    # Held: closing the report lets nothing go sooner, so it needs no second custodian.
    closing = client.patch(
        f"/api/v1/reports/{report['id']}", headers=custodian, json={"status": "closed", "reason": "closed"}
    )
    assert closing.status_code == 200 and closing.json()["status"] == "closed"
    release = client.post(
        f"/api/v1/holds/{hold.json()['id']}/release", headers=custodian, json={"reason": "settled"}
    )
    assert release.status_code == 202 and _legal_hold(ctx, clip_id) == "ON"
    refused = client.post(
        f"/api/v1/retention/changes/{release.json()['change']['id']}/approve",
        headers=custodian2,
        json={"approve": False, "note": "suit still pending"},
    )
    assert refused.json()["status"] == "rejected" and _legal_hold(ctx, clip_id) == "ON"
    release = client.post(
        f"/api/v1/holds/{hold.json()['id']}/release", headers=custodian, json={"reason": "settled"}
    )
    client.post(
        f"/api/v1/retention/changes/{release.json()['change']['id']}/approve", headers=custodian2, json={}
    )
    assert _legal_hold(ctx, clip_id) == "OFF"

    # Reclassifying as non-evidentiary shortens nothing here (the closed report keeps 4 years), so it applies.
    clock.advance(days=1)
    recat = client.put(
        f"/api/v1/retention/clips/{clip_id}/category",
        headers=custodian,
        json={"category": "non_evidentiary", "reason": "no evidentiary value"},
    )
    assert recat.status_code == 200, recat.text
    assert spy.locks == sorted(spy.locks) and len(spy.locks) >= 1  # every write extends
    with ctx.sessions() as session:
        row = session.get(ClipRetention, clip_id)
        assert row.store_retain_until == max(spy.locks)
        assert row.retain_until == row.store_retain_until  # closed + 4 years
        assert session.get(Clip, clip_id).retain_until == row.store_retain_until


def test_unclassified_to_non_evidentiary_needs_a_second_custodian(client, ctx, people, clock, custodian2):
    custodian = people.auth("custodian")
    clip_id = upload_at(client, people.auth("device"), START)
    asked = client.put(
        f"/api/v1/retention/clips/{clip_id}/category",
        headers=custodian,
        json={"category": "non_evidentiary", "reason": "parking lot"},
    )
    assert asked.status_code == 202
    assert any("1 year" not in line and clip_id in line for line in asked.json()["change"]["dry_run"])
    assert client.get(f"/api/v1/clips/{clip_id}", headers=custodian).json()["category"] == "unclassified"
    bad = client.put(
        f"/api/v1/retention/clips/{clip_id}/category",
        headers=custodian,
        json={"category": "crash", "reason": "x"},
    )
    assert bad.status_code == 422 and "not in policy" in bad.json()["detail"]
    done = client.post(
        f"/api/v1/retention/changes/{asked.json()['change']['id']}/approve", headers=custodian2, json={}
    )
    assert done.json()["status"] == "applied"
    assert client.get(f"/api/v1/clips/{clip_id}", headers=custodian).json()["category"] == "non_evidentiary"


def test_policy_change_shows_a_dry_run_diff_first(client, ctx, people, clock, custodian2):
    custodian = people.auth("custodian")
    clip_id = upload_at(client, people.auth("device"), START)
    clock.advance(days=200)
    shorter = DEFAULT_POLICY_PATH.read_text().replace('version = "2026-11-24.1"', 'version = "2027-01-01.1"')
    shorter = shorter.replace(
        '[categories.unclassified]\ntitle = "Unclassified"\nkind = "fixed"\nyears = 1',
        '[categories.unclassified]\ntitle = "Unclassified"\nkind = "fixed"\ndays = 180',
    )
    dry = client.post("/api/v1/retention/policy/dry-run", headers=custodian, json={"toml": shorter}).json()
    assert any("unclassified" in line and "SHORTENS" in line for line in dry["lines"])
    assert any(clip_id in line and "DELETABLE NOW" in line for line in dry["lines"])
    proposed = client.post("/api/v1/retention/policy", headers=custodian, json={"toml": shorter})
    assert proposed.status_code == 202 and proposed.json()["applied"] is False
    assert client.get("/api/v1/retention/policy", headers=custodian).json()["version"] == "2026-11-24.1"
    assert sweeper.sweep(ctx=ctx, dry_run=True).planned == []
    change_id = proposed.json()["change"]["id"]
    assert (
        client.post(f"/api/v1/retention/changes/{change_id}/approve", headers=custodian2, json={}).json()[
            "status"
        ]
        == "applied"
    )
    assert client.get("/api/v1/retention/policy", headers=custodian).json()["version"] == "2027-01-01.1"
    assert [item.clip_id for item in sweeper.sweep(ctx=ctx, dry_run=True).planned] == [clip_id]
    broken = client.post(
        "/api/v1/retention/policy",
        headers=custodian,
        json={"toml": shorter.replace("days = 180", "days = 30")},
    )
    assert broken.status_code == 422 and "90-day floor" in broken.json()["detail"]


def test_inspector_general_matter_needs_two_different_custodians(client, ctx, people, clock, custodian2):
    custodian = people.auth("custodian")
    clip_id = upload_at(client, people.auth("device"), START, officer_id="B1234")
    body = report_body(
        "UOF-2010-0002",
        START,
        START + timedelta(minutes=3),
        inspector_general=True,
        force_types=["firearm_discharge"],
        status="closed",
    )
    report = client.post("/api/v1/reports", headers=custodian, json=body).json()
    clock.advance(days=5 * 365)
    first = client.post(f"/api/v1/reports/{report['id']}/ig-release", headers=custodian)
    assert first.status_code == 200 and first.json()["ig_released_by"]
    assert client.post(f"/api/v1/reports/{report['id']}/ig-release", headers=custodian).status_code == 409
    assert sweeper.sweep(ctx=ctx, dry_run=True).planned == []
    assert client.post(f"/api/v1/reports/{report['id']}/ig-release", headers=custodian2).status_code == 200
    assert [i.clip_id for i in sweeper.sweep(ctx=ctx, dry_run=True).planned] == [clip_id]


def test_only_one_sweeper_at_a_time(client, ctx, people, clock):
    upload_at(client, people.auth("device"), START)
    clock.advance(days=400)
    with ctx.sessions() as session:
        assert lease.acquire(
            session=session, name=lease.SWEEP, holder="other-process", now=clock(), ttl=timedelta(minutes=10)
        )
    busy = sweeper.sweep(ctx=ctx, dry_run=False)
    assert busy.busy and "other-process" in busy.busy and busy.deleted == []
    assert client.post("/api/v1/retention/sweep", headers=people.auth("custodian")).status_code == 409
    clock.advance(minutes=11)  # the other process died: its lease expires
    assert len(sweeper.sweep(ctx=ctx, dry_run=False).deleted) == 1


def test_two_sweepers_at_once_delete_each_clip_once(client, ctx, people, clock):
    import threading

    from sqlalchemy import func, select

    from ingest_server.sweeper.models import DeletionCertificate

    for n in range(4):
        upload_at(client, people.auth("device"), START, seed=n, size=1000 + n)
    clock.advance(days=400)
    results, barrier = [], threading.Barrier(2)

    def one(name):
        barrier.wait()
        results.append(sweeper.sweep(ctx=ctx, dry_run=False, holder=name))

    threads = [threading.Thread(target=one, args=(f"process-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    deleted = [clip for result in results for clip in result.deleted]
    assert len(results) == 2 and sorted(deleted) == sorted(set(deleted)) and len(deleted) == 4
    assert not any(result.failed for result in results)
    with ctx.sessions() as session:
        assert session.execute(select(func.count()).select_from(DeletionCertificate)).scalar_one() == 4


def test_the_schedule_sweeps_and_checks_fixity_when_due(client, ctx, people, clock):
    from ingest_server.sweeper.schedule import JobSettings, Scheduler

    upload_at(client, people.auth("device"), START, seed=1)
    upload_at(client, people.auth("device"), START, seed=2)
    clock.advance(days=400)
    jobs = Scheduler(ctx, JobSettings(sweep_every_seconds=3600, fixity_every_seconds=86400, fixity_sample=1))
    assert jobs.tick(1800) == []  # nothing due yet
    swept = jobs.tick(1800)
    assert any("2 deleted" in line for line in swept) and not any(line.startswith("fixity") for line in swept)
    said = jobs.tick(86400)
    assert any("fixity: fixity run" in line and "0 checked" in line for line in said)  # both clips are gone
    jobs.start()
    jobs.stop()  # the thread ends on its stop event, without waiting an interval
    assert not jobs.thread.is_alive()


def test_dry_run_changes_nothing_and_the_sweep_catches_up_unlinked_clips(client, ctx, people, clock):
    from sqlalchemy import func, select

    from ingest_server.linking.models import ClipLink
    from tests.ingest_server.records_helpers import NullStore, device_id, insert_clip

    ctx.storage = NullStore()
    custodian = people.auth("custodian")
    made = client.post(
        "/api/v1/reports",
        headers=custodian,
        json=report_body("UOF-2010-0400", START, START + timedelta(minutes=10)),
    )
    assert made.status_code == 201
    with ctx.sessions() as session:  # stored behind linking's back (as before the upload hook existed)
        device = device_id(session)
        linked = insert_clip(
            session, device, officer="B1234", vehicle=None, start=START, end=START + timedelta(minutes=2)
        )
        lone = insert_clip(
            session, device, officer="B42", vehicle=None, start=START, end=START + timedelta(minutes=2)
        )
        session.commit()
        linked_id, lone_id = linked.id, lone.id
    clock.advance(days=2 * 365)

    def counts():
        with ctx.sessions() as session:
            return tuple(
                session.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (ClipLink, ClipRetention)
            )

    before = counts()
    dry = sweeper.sweep(ctx=ctx, dry_run=True)
    assert [i.clip_id for i in dry.planned] == [lone_id]  # the linked one is kept by its open report
    assert counts() == before and ctx.storage.locks == []
    swept = sweeper.sweep(ctx=ctx, dry_run=False)
    assert swept.deleted == [lone_id] and ctx.storage.deleted == [f"originals/{_sha(ctx, lone_id)}"]
    assert f"certificates/{lone_id}.json" in ctx.storage.puts
    links = client.get(f"/api/v1/clips/{linked_id}/reports", headers=custodian).json()
    assert [link["report_number"] for link in links] == ["UOF-2010-0400"]


def _sha(ctx, clip_id):
    with ctx.sessions() as session:
        return session.get(Clip, clip_id).sha256
