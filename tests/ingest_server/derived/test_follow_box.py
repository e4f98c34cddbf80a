"""A custodian's box drawn on one frame of a stored clip, followed forward and back by the
`redaction.follow` job (run here through the worker's runner and handlers): the manual track it
makes spans the object's frames both ways, is masked in the render unless rejected, and the
provenance record and the audit trail name it as followed."""

from __future__ import annotations

import json
import re

import av
import pytest
from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from ingest_server.derived import jobs, service
from ingest_server.derived.models import REVIEW
from tests.ingest_server.derived import inline
from tests.ingest_server.derived.console import signed_in
from tests.ingest_server.redaction import footage

DRAWN = 30  # the frame the custodian draws on


@pytest.fixture(scope="module")
def patch_footage(tmp_path_factory):
    """90 frames at 30 fps: a textured square moving right 8 px a frame, gone from the frame by 75."""
    return footage.moving_patch(tmp_path_factory.mktemp("follow") / "DASH_0001.MP4")


@pytest.fixture
def in_review(ctx, store_footage, patch_footage, custodians):
    """The footage stored as a clip, a redaction of it scanned: its id."""
    clip_id, _ = store_footage(patch_footage, "DASH_0001.MP4")
    with ctx.sessions() as session:
        redaction_id = service.start(
            ctx=ctx, session=session, clip_id=clip_id, requester=custodians[0], reason="FOIA 9"
        ).id
    assert [j.kind for j in inline.run_queued(ctx)] == [jobs.KIND[jobs.SCAN]]
    return redaction_id


def _follow(ctx, redaction_id, user, box):
    with ctx.sessions() as session:
        service.add_box(
            ctx=ctx, session=session, redaction_id=redaction_id, first=DRAWN, box=box, user=user, follow=True
        )


def _rendered(ctx, redaction_id, user):
    """Fill style (black), render run as a job; (the redaction, the draft's frames as RGB)."""
    with ctx.sessions() as session:
        service.set_style(ctx=ctx, session=session, redaction_id=redaction_id, style="fill", user=user)
        service.request_render(ctx=ctx, session=session, redaction_id=redaction_id, user=user)
    assert [j.state for j in inline.run_queued(ctx)] == ["done"]
    with ctx.sessions() as session:
        row = service.get_redaction(session=session, redaction_id=redaction_id)
        draft = service.get_derived(session=session, derived_id=row.derived_id)
        data = b"".join(ctx.storage.read(draft.object_key, draft.version_id)[0])
        session.expunge_all()
    path = ctx.settings.data_dir / "draft.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as src:
        frames = [f.to_ndarray(format="rgb24") for f in src.decode(video=0)]
    return row, draft, frames


def _dark_share(frames, truth):
    """{frame: share of the true square's pixels (inside the frame) painted black} where it is seen."""
    out = {}
    for i, boxes in enumerate(truth):
        for x1, y1, x2, y2 in boxes:
            part = frames[i][int(y1) : int(y2), int(x1) : min(int(x2), frames[i].shape[1])]
            out[i] = float((part.max(axis=2) < 30).mean())
    return out


def test_a_box_drawn_on_one_frame_is_followed_both_ways_and_masked_on_every_frame(
    ctx, in_review, custodians, patch_footage
):
    user = custodians[0]
    [drawn] = patch_footage.truth[DRAWN]
    _follow(ctx, in_review, user, drawn)
    with ctx.sessions() as session:
        row = service.get_redaction(session=session, redaction_id=in_review)
        [pending] = json.loads(row.manual_json)
        assert row.state == REVIEW and pending["state"] == "following"
        with pytest.raises(service.DerivedError, match="still being followed"):
            service.request_render(ctx=ctx, session=session, redaction_id=in_review, user=user)
        session.rollback()
    [job] = inline.run_queued(ctx)
    print(f"\nfollow job: {job.state}, {job.done_steps} of {job.total_steps} frames, result {job.result}")
    assert job.kind == "redaction.follow" and job.state == "done" and job.result["followed"] == 1
    assert job.done_steps == job.total_steps == patch_footage.frames  # every frame decoded once

    with ctx.sessions() as session:
        row = service.get_redaction(session=session, redaction_id=in_review)
        [box] = json.loads(row.manual_json)
        trail = [
            e.event_type
            for e in session.execute(select(AuditEvent).where(AuditEvent.component == "redaction")).scalars()
        ]
    seen = [i for i, boxes in enumerate(patch_footage.truth) if boxes]
    print(
        f"followed box {box['id']}: frames {box['first_frame']}..{box['last_frame']}; "
        f"square seen {seen[0]}..{seen[-1]}"
    )
    assert box["state"] == "followed" and box["method"] == "followed"
    assert box["followed_from"] == {"frame": DRAWN, "box": list(drawn)}
    assert box["first_frame"] == 0 and seen[-1] <= box["last_frame"] <= seen[-1] + 3
    assert box["thumbnail"].startswith("data:image/jpeg;base64,")
    assert [t for t in trail if "box" in t] == ["redaction.box_added", "redaction.box_followed"]

    row, draft, frames = _rendered(ctx, in_review, user)
    masked = _dark_share(frames, patch_footage.truth)
    print("per-frame share of the square masked: " + " ".join(f"{i}:{c:.2f}" for i, c in masked.items()))
    print(
        f"min {min(masked.values()):.2f}, mean {sum(masked.values()) / len(masked):.3f} "
        f"over {len(masked)} frames"
    )
    assert all(c >= 0.9 for c in masked.values()), masked
    untouched = [float((f.max(axis=2) < 30).mean()) for f in frames[seen[-1] + 5 :]]
    assert untouched and max(untouched) < 0.01  # after it has left, nothing is painted
    [recorded] = json.loads(draft.provenance_json)["regions"]["manual_tracks"]
    assert recorded["method"] == "followed" and recorded["decision"] == "accepted"
    assert recorded["followed"]["from_frame"] == DRAWN and recorded["followed"]["from_box"] == list(drawn)
    assert recorded["followed"]["span"] == [box["first_frame"], box["last_frame"]]
    assert "template matching" in recorded["followed"]["method"]
    assert len(recorded["keyframes"]) == len(box["keyframes"])


def test_a_rejected_followed_box_is_left_visible_and_recorded_as_rejected(
    ctx, in_review, custodians, patch_footage
):
    user = custodians[0]
    [drawn] = patch_footage.truth[DRAWN]
    _follow(ctx, in_review, user, drawn)
    assert [j.state for j in inline.run_queued(ctx)] == ["done"]
    with ctx.sessions() as session:
        service.decide_track(
            ctx=ctx, session=session, redaction_id=in_review, track_id="m1", accept=False, user=user
        )
    _, draft, frames = _rendered(ctx, in_review, user)
    masked = _dark_share(frames, patch_footage.truth)
    print(f"\nrejected: largest share of the square masked on any frame {max(masked.values()):.2f}")
    assert max(masked.values()) < 0.1
    [recorded] = json.loads(draft.provenance_json)["regions"]["manual_tracks"]
    assert recorded["decision"] == "rejected" and recorded["method"] == "followed"


def test_a_box_to_follow_outside_the_clip_is_refused_and_queues_nothing(ctx, in_review, custodians):
    with ctx.sessions() as session:
        with pytest.raises(service.DerivedError, match="first <= last < 90"):
            service.add_box(
                ctx=ctx,
                session=session,
                redaction_id=in_review,
                first=90,
                box=(10, 10, 50, 50),
                user=custodians[0],
                follow=True,
            )
        session.rollback()
    assert inline.run_queued(ctx) == []


def test_the_console_follows_a_drawn_box_by_default_and_holds_one_when_asked(ctx, in_review, patch_footage):
    browser, token = signed_in(ctx, "custodian1")
    page = browser.get(f"/portal/redactions/{in_review}")
    assert re.search(r'name="how" value="follow" checked', page.text)  # following is the default
    x1, y1, x2, y2 = patch_footage.truth[DRAWN][0]
    box = {"csrf": token, "x1": x1, "y1": y1, "x2": x2, "y2": y2}
    added = browser.post(
        f"/portal/redactions/{in_review}/boxes", data={**box, "how": "follow", "frame": DRAWN}
    )
    assert added.status_code == 200 and "following it through the clip" in added.text
    assert added.headers.get("refresh") == "1" and 'id="follow-job"' in added.text and "queued" in added.text
    assert "following…" in added.text
    refused = browser.post(f"/portal/redactions/{in_review}/render", data={"csrf": token})
    assert refused.status_code == 409 and "still being followed" in refused.text
    bad = browser.post(f"/portal/redactions/{in_review}/boxes", data={**box, "how": "drift"})
    assert bad.status_code == 422
    assert [j.state for j in inline.run_queued(ctx)] == ["done"]

    page = browser.get(f"/portal/redactions/{in_review}")
    row = re.search(r'<tr data-box="m1" class="accepted">(.*?)</tr>', page.text, re.S).group(1)
    shown = re.sub(r'data:image/jpeg;base64,[^"]+', "data:…", row)
    print(f"\nthe followed box's row: {' '.join(shown.split())[:400]}")
    assert "refresh" not in page.headers
    assert 'src="data:image/jpeg;base64,' in row and "0–75" in row and "0.00 s – 2.53 s" in row
    assert f"followed from frame {DRAWN}" in row
    held = browser.post(
        f"/portal/redactions/{in_review}/boxes", data={**box, "how": "hold", "first": 5, "last": 9}
    )
    assert held.status_code == 200 and inline.run_queued(ctx) == []  # a held box needs no job
    assert re.search(r'<tr data-box="m2" class="accepted">.*?5–9.*?held, box', held.text, re.S)
    rejected = browser.post(
        f"/portal/redactions/{in_review}/tracks/m1", data={"csrf": token, "decision": "reject"}
    )
    assert rejected.status_code == 200 and '<tr data-box="m1" class="rejected">' in rejected.text
