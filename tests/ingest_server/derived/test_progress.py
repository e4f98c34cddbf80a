"""The scan's progress counts against the decoded stream's own frame total, not the registered
metadata: a clip registered as 0.2 s long (3 frames at 15 fps) that holds 60 frames shows 30 of 60 and
60 of 60, never 60 of 3 (steps 300/30 were seen in the console)."""

from __future__ import annotations

import pytest

from ingest_server.auth import service as auth_service
from ingest_server.derived import handlers, jobs, service
from tests.ingest_server import helpers
from tests.ingest_server.derived import inline
from tests.ingest_server.redaction import footage


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    return footage.make(tmp_path_factory.mktemp("footage") / "AXON_0002.MP4", fps=15, seconds=4.0)


@pytest.fixture
def redaction_id(ctx, client, long_clip, custodians):
    """A redaction (its scan queued) of the clip, registered with a duration ten times too short."""
    with ctx.sessions() as session:
        _, device = auth_service.enroll_device(session=session, name="car-4", vehicle_id="V4", actor="test")
    registered, _ = helpers.upload(
        client,
        {"Authorization": f"Bearer {device}"},
        long_clip.path.read_bytes(),
        original_name="AXON_0002.MP4",
        fps=15.0,
        duration_seconds=0.2,  # wrong: the stream holds 4 s
        width=640,
        height=360,
    )
    with ctx.sessions() as session:
        row = service.start(
            ctx=ctx, session=session, clip_id=registered["clip_id"], requester=custodians[0], reason="FOIA 18"
        )
        session.commit()
        return row.id


def test_scan_progress_counts_against_the_decoded_streams_total(ctx, redaction_id, long_clip):
    seen: list[tuple[int, int | None]] = []
    service.run_scan(
        ctx=ctx,
        redaction_id=redaction_id,
        detector=handlers.detector(),
        progress=lambda done, total: seen.append((done, total)),
    )
    print(f"\nprogress (done, total) of {long_clip.frames} frames registered as 3: {seen}")
    assert seen == [(30, long_clip.frames), (60, long_clip.frames)]
    with ctx.sessions() as session:
        row = service.get_redaction(session=session, redaction_id=redaction_id)
        assert (row.frames_done, row.frames_total) == (long_clip.frames, long_clip.frames)


def test_the_scan_jobs_steps_never_pass_their_total(ctx, redaction_id, long_clip):
    (job,) = inline.run_queued(ctx, redaction_id)
    print(f"\nscan job: {job.done_steps}/{job.total_steps} steps for {long_clip.frames} frames")
    assert job.kind == jobs.KIND[jobs.SCAN] and job.state == "done"
    assert (job.done_steps, job.total_steps) == (long_clip.frames, long_clip.frames)
