"""Detections → tracks → regions, as tables of small cases (no video, no model)."""

from __future__ import annotations

import pytest

from ingest_server.redaction.tracks import TrackKind, build_tracks, iou, manual_track, padded, regions_at


def box(x, y, w=40, h=50):
    return (float(x), float(y), float(x + w), float(y + h))


def test_one_moving_face_is_one_track_interpolated_between_detection_frames():
    detections = {0: [(box(100, 100), 0.9)], 5: [(box(110, 100), 0.8)], 10: [(box(120, 100), 0.7)]}
    [track] = build_tracks(detections, step=5, frame_count=30)
    assert track.kind is TrackKind.DETECTED
    assert track.box_at(3) == pytest.approx(box(106, 100))  # 3/5 of the way from 100 to 110
    assert track.score == pytest.approx(0.9)


def test_a_track_reaches_one_step_beyond_its_first_and_last_detection():
    detections = {0: [], 5: [(box(100, 100), 0.9)], 10: [(box(100, 100), 0.9)], 15: []}
    [track] = build_tracks(detections, step=5, frame_count=30)
    assert (track.first, track.last) == (1, 14)  # seen at 5 and 10; maybe there from 1 to 14
    assert track.box_at(1) == box(100, 100) and track.box_at(14) == box(100, 100)
    assert track.box_at(0) is None and track.box_at(15) is None


def test_beyond_its_first_and_last_detection_a_moving_face_is_followed_at_its_speed():
    # 2 px a frame to the right: at step 10 a held box would be 18 px behind by the track's last frame
    detections = {10: [(box(100, 100), 0.9)], 20: [(box(120, 100), 0.9)], 30: []}
    [track] = build_tracks(detections, step=10, frame_count=60)
    assert (track.first, track.last) == (1, 29)
    assert track.box_at(1) == pytest.approx(box(82, 100))
    assert track.box_at(29) == pytest.approx(box(138, 100))
    assert track.box_at(15) == pytest.approx(box(110, 100))


def test_the_span_is_clipped_to_the_clip():
    [track] = build_tracks({0: [(box(0, 0), 0.9)], 3: [(box(0, 0), 0.9)]}, step=3, frame_count=5)
    assert (track.first, track.last) == (0, 4)


def test_two_faces_stay_two_tracks_and_each_keeps_its_own_path():
    left, right = lambda f: box(50 + 2 * f, 100), lambda f: box(400 - 2 * f, 120)
    detections = {f: [(right(f), 0.8), (left(f), 0.9)] for f in range(0, 30, 3)}
    tracks = build_tracks(detections, step=3, frame_count=30)
    assert len(tracks) == 2
    by_start = sorted(tracks, key=lambda t: t.keyframes[0][1][0])
    # each detection, then the path followed on to the clip's last frame (29)
    assert [b for _, b in by_start[0].keyframes] == [left(f) for f in (*range(0, 30, 3), 29)]
    assert [b for _, b in by_start[1].keyframes] == [right(f) for f in (*range(0, 30, 3), 29)]


def test_a_fast_face_whose_boxes_no_longer_overlap_is_still_one_track():
    detections = {0: [(box(100, 100), 0.9)], 5: [(box(135, 100), 0.9)], 10: [(box(170, 100), 0.9)]}
    assert iou(box(100, 100), box(135, 100)) < 0.1
    assert len(build_tracks(detections, step=5, frame_count=15)) == 1


def test_the_same_speed_is_linked_at_a_longer_step():
    # 7 px a frame: 70 px between detections at step 10, more than 0.75 of the 50 px box
    detections = {f: [(box(100 + 7 * f, 100), 0.9)] for f in range(0, 40, 10)}
    assert len(build_tracks(detections, step=10, frame_count=40)) == 1


def test_one_missed_detection_does_not_split_a_track_but_a_long_absence_does():
    seen = (box(100, 100), 0.9)
    one_miss = {0: [seen], 5: [], 10: [seen]}
    assert len(build_tracks(one_miss, step=5, frame_count=20)) == 1
    long_gap = {0: [seen], 5: [], 10: [], 15: [seen]}
    assert len(build_tracks(long_gap, step=5, frame_count=20)) == 2


def test_far_apart_faces_are_not_linked():
    detections = {0: [(box(10, 10), 0.9)], 5: [(box(500, 300), 0.9)]}
    assert len(build_tracks(detections, step=5, frame_count=10)) == 2


def test_a_rejected_track_is_not_masked_and_the_others_are():
    tracks = build_tracks({0: [(box(10, 10), 0.9), (box(300, 10), 0.9)]}, step=1, frame_count=1)
    assert len(regions_at(0, tracks, pad=1.0, width=640, height=360)) == 2
    kept = regions_at(0, tracks, rejected=frozenset({tracks[0].id}), pad=1.0, width=640, height=360)
    assert kept == [(300, 10, 340, 60)]


def test_padding_grows_about_the_centre_and_clips_to_the_frame():
    assert padded((100, 100, 140, 150), pad=1.5, width=640, height=360) == (90, 87, 150, 163)
    assert padded((0, 0, 40, 50), pad=1.5, width=640, height=360) == (0, 0, 50, 63)
    assert padded((620, 340, 640, 360), pad=2.0, width=640, height=360) == (610, 330, 640, 360)


def test_a_manual_box_is_interpolated_between_keyframes_held_to_its_span_and_never_padded():
    track = manual_track("m1", [(10, box(100, 100)), (20, box(200, 100))], first=5, last=30)
    assert track.box_at(15) == pytest.approx(box(150, 100))
    assert track.box_at(5) == box(100, 100) and track.box_at(30) == box(200, 100)
    assert track.box_at(4) is None and track.box_at(31) is None
    assert regions_at(15, [track], pad=1.5, width=640, height=360) == [(150, 100, 190, 150)]


@pytest.mark.parametrize(
    "keys, first, last, message",
    [
        ([], None, None, "at least one keyframe"),
        ([(5, box(0, 0)), (5, box(1, 1))], None, None, "two keyframes on one frame"),
        ([(5, (10.0, 10.0, 10.0, 20.0))], None, None, "empty or negative box"),
        ([(5, box(0, 0))], 6, None, "must include all its keyframes"),
    ],
)
def test_a_malformed_manual_box_is_refused_with_its_reason(keys, first, last, message):
    with pytest.raises(ValueError, match=message):
        manual_track("m1", keys, first=first, last=last)


def test_a_long_track_interpolates_every_frame_between_its_own_two_keyframes():
    keys = {f: [(box(f, 100), 0.9)] for f in range(0, 9000, 5)}  # 5 minutes of detections at 30 fps
    [track] = build_tracks(keys, step=5, frame_count=9000)
    assert [track.box_at(f)[0] for f in (0, 3, 4997, 8995, 8999)] == pytest.approx(
        [0, 3, 4997, 8995, 8999]
    )  # and on past the last
