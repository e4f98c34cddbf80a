"""A report's alignment job run in-process on two clips of different scenes: the
pair is stored as "not aligned" with its reason, never a guess; the report page
says so and offers only Reject; a re-run stores nothing twice."""

from __future__ import annotations

from sqlalchemy import select

from ingest_server.alignment.models import ClipAlignment
from ingest_server.job_kinds import HANDLERS
from ingest_server.jobs import kinds
from ingest_server.jobs import service as jobs
from ingest_server.jobs.models import Job
from ingest_server.jobs.runner import run_job
from tests.portal.conftest import csrf, sign_in, upload_clip
from tests.support import audio_scene as sc

REPORT = {
    "number": "UOF-2026-0100",
    "incident_start": "2026-11-24T09:58:00+00:00",
    "incident_end": "2026-11-24T10:10:00+00:00",
    "town": "Hartford",
    "officers": ["B1234", "B5678"],
    "force_types": ["cew"],
}


def _run_latest(ctx, report_id: str) -> Job:
    with ctx.sessions() as session:
        job = jobs.active(session=session, kind=kinds.ALIGN_REPORT, subject=report_id)
        job_id = job.id
    run_job(ctx=ctx, handlers=HANDLERS, job_id=job_id, worker="test:1")
    with ctx.sessions() as session:
        done = session.get(Job, job_id)
        session.expunge(done)
        return done


def test_two_scenes_are_not_aligned_and_the_page_offers_only_reject(tmp_path, client, people, ctx):
    for i, (officer, seed) in enumerate((("B1234", 1), ("B5678", 2))):
        cam = sc.Camera(f"cam{i}", 0.0, 30.0, rate=16_000, seed=20 + i)
        path = sc.write_mp4(tmp_path / f"{i}.mp4", sc.render(sc.make_scene(32.0, seed=seed), cam), cam.rate)
        upload_clip(
            client,
            people,
            path.read_bytes(),
            officer_id=officer,
            camera_serial=f"S{i}",
            duration_seconds=30.0,
            corrected_start="2026-11-24T10:00:00+00:00",
            corrected_end="2026-11-24T10:00:30+00:00",
        )
    created = client.post("/api/v1/reports", headers=people.auth("custodian"), json=REPORT)
    assert created.status_code == 201, created.text
    report_id = created.json()["id"]

    job = _run_latest(ctx, report_id)
    assert (job.state, job.done_steps, job.total_steps, job.result) == (
        "done",
        3,
        3,
        {"clips": 2, "pairs": 1, "aligned": 0},
    )
    with ctx.sessions() as session:
        rows = session.execute(select(ClipAlignment)).scalars().all()
        assert len(rows) == 1 and not rows[0].aligned and rows[0].offset_s is None
        reason, row_id = rows[0].reason, rows[0].id
    print(f"\nnot aligned: {reason}")
    assert reason.startswith(("no common sound found", "too little common sound"))

    sign_in(client)
    page = client.get(f"/portal/reports/{report_id}").text
    assert "could not be aligned from their audio" in page and reason in page
    assert 'value="accepted"' not in page and 'value="rejected"' in page
    decided = client.post(
        f"/portal/alignments/{row_id}/decision",
        data={
            "csrf": csrf(client),
            "decision": "rejected",
            "reason": "different places",
            "report_id": report_id,
        },
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert "rejected" in client.get(decided.headers["location"]).text

    rerun = client.post(
        f"/portal/reports/{report_id}/align", data={"csrf": csrf(client)}, follow_redirects=False
    )
    assert rerun.status_code == 303
    again = _run_latest(ctx, report_id)
    assert again.id != job.id and again.result == {"clips": 2, "pairs": 0, "aligned": 0}
    with ctx.sessions() as session:
        assert len(session.execute(select(ClipAlignment)).scalars().all()) == 1
