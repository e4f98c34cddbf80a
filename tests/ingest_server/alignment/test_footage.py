"""Issue 17 acceptance: three cameras of one scene and one of another, real H.264 + AAC MP4s.

The scene is heard by a dashcam (A, 16 kHz, loud mains hum 6 dB above the scene,
SNR 20 dB), a body camera (B, 48 kHz, gain 0.25, SNR 6 dB, clock 50 ppm fast) and
a second body camera (C, 32 kHz, gain 3, SNR 0 dB); they start at scene times
90 s, 180 s and 0 s, so the true offsets run from -90 s to +180 s and the shortest
shared stretch (B with C) is 60 s. D records another scene entirely.
`pytest -s` prints every error.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from ingest_server.alignment import ClipSide, Parameters, align_all, align_decoded, decode_audio, sentence
from tests.support.audio_scene import Camera, make_scene, render, true_drift_ppm, true_offset, write_mp4

FRAME_S = 1 / 30  # one video frame
DRIFT_PPM_TOLERANCE = 5.0
CAMERAS = [
    Camera("A", start_s=90, seconds=210, rate=16_000, gain=1.0, snr_db=20, hum_db=6, seed=11),
    Camera("B", start_s=180, seconds=180, rate=48_000, gain=0.25, snr_db=6, drift_ppm=50, seed=12),
    Camera("C", start_s=0, seconds=240, rate=32_000, gain=3.0, snr_db=0, seed=13),
    Camera("D", start_s=0, seconds=150, rate=16_000, gain=1.0, snr_db=10, seed=14),
]
COMMON = {"A", "B", "C"}


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    out = tmp_path_factory.mktemp("footage")
    scene, elsewhere = make_scene(360, seed=1), make_scene(160, seed=2)
    paths = {}
    for cam in CAMERAS:
        audio = render(scene if cam.name in COMMON else elsewhere, cam)
        paths[cam.name] = write_mp4(out / f"{cam.name}.mp4", audio, cam.rate)
    digests = {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in paths.items()}
    decoded = {name: decode_audio(p, rate=Parameters().rate) for name, p in paths.items()}
    return paths, digests, decoded


def test_every_pair_with_common_sound_is_aligned_within_a_frame_and_5_ppm(footage):
    _, _, decoded = footage
    lines, failures = [], []
    common = [c for c in CAMERAS if c.name in COMMON]
    results = align_all([decoded[c.name] for c in common])  # each track prepared once, every pair
    for (i, j), result in results.items():
        a, b = common[i], common[j]
        assert result.aligned, f"{a.name}-{b.name}: {result.reason}"
        # The worst offset error anywhere in the stretch the two clips share.
        grid = np.linspace(0, a.seconds, 2001)
        shared = [t for t in grid if 0 <= t + true_offset(a, b, t) <= b.seconds]
        errors = [result.offset_at(t) - true_offset(a, b, t) for t in shared]
        worst = max(errors, key=abs)
        drift_error = result.drift_ppm - true_drift_ppm(a, b)
        line = (
            f"{a.name}-{b.name}: true offset {true_offset(a, b, result.reference_s):+.4f} s, "
            f"error {worst * 1e3:+.3f} ms (stated ± {result.offset_uncertainty_s * 1e3:.3f} ms), "
            f"drift {result.drift_ppm:+.2f} ppm (true {true_drift_ppm(a, b):+.2f}, error {drift_error:+.2f}, "
            f"stated ± {result.drift_uncertainty_ppm:.2f}), PSR {result.confidence:.0f}, "
            f"{result.windows_used}/{result.windows_total} windows, overlap {result.overlap_s:.0f} s"
        )
        print(line)
        lines.append(line)
        if abs(worst) > FRAME_S or abs(drift_error) > DRIFT_PPM_TOLERANCE:
            failures.append(line)
    assert len(lines) == 3
    assert not failures, "\n".join(lines)


def test_a_clip_with_no_common_sound_is_not_aligned_and_says_why(footage):
    _, _, decoded = footage
    for other in ("A", "B", "C"):
        for first, second in ((other, "D"), ("D", other)):
            result = align_decoded(decoded[first], decoded[second])
            print(f"{first}-{second}: not aligned: {result.reason}")
            assert not result.aligned, f"{first}-{second} aligned at {result.offset_s} s: a guess"
            assert result.offset_s is None and result.drift_ppm is None
            assert "no common sound" in result.reason


def test_the_court_sentence_states_the_clock_difference_the_cameras_really_had(footage):
    _, _, decoded = footage
    body, dash = CAMERAS[1], CAMERAS[0]
    incident = datetime(2026, 3, 14, 14, 0, tzinfo=UTC)
    # Each camera's clock is wrong its own way: the body camera reads 1.91 s fast, the dashcam 0.5 s slow.
    body_clock = incident + timedelta(seconds=body.start_s + 1.91)
    dash_clock = incident + timedelta(seconds=dash.start_s - 0.5)
    result = align_decoded(decoded["B"], decoded["A"])
    text = sentence(
        result,
        ClipSide("Body camera SIM390062", body_clock),
        ClipSide("the dashcam of V17", dash_clock),
        collection_disagreement_s=2.9,
    )
    print(text)
    # The body camera's clock, 50 ppm fast, has gained 50e-6 x its media time by mid-overlap (a few ms).
    expected = 2.41 + 50e-6 * result.reference_s
    stated = re.match(
        r"Body camera SIM390062 runs (\d+\.\d+) s ± (\d+\.\d+) s ahead of the dashcam of V17, ", text
    )
    assert stated, text
    assert abs(float(stated[1]) - expected) <= 0.001, (stated[1], expected)
    assert 0.001 <= float(stated[2]) <= 0.01
    assert "from their audio; the clock of the dashcam of V17 loses 50.0 ppm" in text
    assert text.endswith("; at collection their clocks disagreed by 2.9 s")


def test_alignment_reads_the_originals_and_never_changes_them(footage):
    paths, digests, _ = footage
    align_decoded(decode_audio(paths["A"], rate=8000), decode_audio(paths["C"], rate=8000))
    for name, path in paths.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digests[name], name
