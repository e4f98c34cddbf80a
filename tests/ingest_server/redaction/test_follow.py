"""A box drawn on one frame follows the object forward and backward (template matching), on generated
footage of a textured square moving on a known path over a drifting background."""

from __future__ import annotations

import pytest

from ingest_server.redaction.follow import follow
from ingest_server.redaction.tracks import TrackKind, regions_at
from tests.ingest_server.redaction import footage

DRAWN = 30


def coverage_by_frame(made, track):
    """{frame: share of the truth box (clipped to the frame) that the track masks} where it is seen."""
    out = {}
    for i, boxes in enumerate(made.truth):
        for box in boxes:
            regions = regions_at(i, [track], pad=1.0, width=made.width, height=made.height)
            out[i] = footage.coverage(box, regions, made.width, made.height)
    return out


@pytest.fixture(scope="module")
def leaving(tmp_path_factory):
    """90 frames: the square moves 8 px a frame from x=40 and has left the 640 px frame by frame 75."""
    return footage.moving_patch(tmp_path_factory.mktemp("follow") / "leaving.mp4")


def test_a_drawn_box_is_followed_back_to_the_start_and_on_until_it_leaves_the_frame(leaving):
    [drawn] = leaving.truth[DRAWN]
    track = follow(source=leaving.path, frame=DRAWN, box=drawn, track_id="m1")
    seen = coverage_by_frame(leaving, track)
    back = [seen[i] for i in range(DRAWN)]
    ahead = [seen[i] for i in sorted(seen) if i > DRAWN]
    print(
        f"\nfollowed frames {track.first}..{track.last}; truth box covered: backward (frames 0..{DRAWN - 1}) "
        f"min {min(back):.2f}, mean {sum(back) / len(back):.3f}; forward (frames {DRAWN + 1}..{max(seen)}) "
        f"min {min(ahead):.2f}, mean {sum(ahead) / len(ahead):.3f}"
    )
    assert track.kind is TrackKind.MANUAL and track.id == "m1"
    assert track.first == 0
    assert all(c >= 0.9 for c in back), back
    assert all(c >= 0.9 for c in ahead), ahead
    assert max(seen) <= track.last <= max(seen) + 3  # ends once the square has left, not at the clip's end


def test_a_box_whose_object_vanishes_ends_there(tmp_path):
    made = footage.moving_patch(tmp_path / "vanish.mp4", gone=50)
    [drawn] = made.truth[DRAWN]
    track = follow(source=made.path, frame=DRAWN, box=drawn, track_id="m2")
    seen = coverage_by_frame(made, track)
    print(f"\nfollowed frames {track.first}..{track.last}; the square vanishes at frame 50 mid-frame")
    assert all(seen[i] >= 0.9 for i in range(0, 50)), seen
    assert 49 <= track.last <= 51  # lost where it vanished: not carried on across the empty background


@pytest.mark.parametrize(
    ("frame", "box", "message"),
    [(-1, (10, 10, 50, 50), "frame >= 0"), (5, (50, 10, 10, 50), "x1 < x2"), (500, (10, 10, 50, 50), "past")],
)
def test_a_box_that_cannot_be_followed_is_refused_with_its_reason(leaving, frame, box, message):
    with pytest.raises(ValueError, match=message):
        follow(source=leaving.path, frame=frame, box=box, track_id="m3")
