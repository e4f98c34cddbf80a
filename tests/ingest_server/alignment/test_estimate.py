"""estimate.py on synthetic arrays: whitening against hum, sub-sample lags, drift, refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ingest_server.alignment.estimate import (
    Alignment,
    Parameters,
    align,
    find_peak,
    gcc_phat,
    plain_xcorr,
    resample,
)
from tests.support.audio_scene import Camera, make_scene, render

RATE = 8000


@pytest.fixture(scope="module")
def scene():
    return make_scene(100, seed=5)


def _hum(n: int, *, level: float, phase: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(n) / rate
    return level * sum(
        a * np.sin(2 * np.pi * 60 * h * t + phase * h) for h, a in ((1, 1.0), (2, 0.6), (3, 0.8))
    )


def _lag_of(r: np.ndarray, a_len: int, b_len: int) -> float:
    return find_peak(r, np.arange(-a_len + 1, b_len)).lag


def test_loud_hum_wins_a_plain_correlation_but_not_gcc_phat(scene):
    # Two recordings of the scene, 3.217 s apart, each with its own mains hum 30 dB above the scene.
    a = render(scene, Camera("a", start_s=10, seconds=40, rate=RATE, snr_db=20, seed=1))
    b = render(scene, Camera("b", start_s=10 - 3.217, seconds=50, rate=RATE, snr_db=20, seed=2))
    scene_rms = np.sqrt(np.mean(a**2))
    a = a + _hum(len(a), level=scene_rms * 31.6, phase=0.3)
    b = b + _hum(len(b), level=scene_rms * 31.6, phase=2.1)
    truth = 3.217 * RATE  # a's first sample is heard at b[truth]
    plain = _lag_of(plain_xcorr(a, b), len(a), len(b))
    whitened = _lag_of(gcc_phat(a, b), len(a), len(b))
    plain_ms, whitened_ms = abs(plain - truth) / RATE * 1e3, abs(whitened - truth) / RATE * 1e3
    print(
        f"hum 30 dB above the scene: plain correlation error {plain_ms:.1f} ms, GCC-PHAT {whitened_ms:.3f} ms"
    )
    assert abs(plain - truth) / RATE > 0.5  # the hum decides: far more than a frame off
    assert abs(whitened - truth) / RATE < 0.001
    result = align(a, b, rate=RATE)
    assert result.aligned, result.reason
    assert abs(result.offset_at(0.0) - 3.217) < 0.001


def test_the_peak_is_refined_below_one_sample():
    rng = np.random.default_rng(3)
    a = rng.standard_normal(20_000)
    for delay in (37.25, 37.5, 120.8):
        spectrum = np.fft.rfft(a, 40_000)
        freqs = np.fft.rfftfreq(40_000)
        b = np.fft.irfft(spectrum * np.exp(-2j * np.pi * freqs * delay), 40_000)[:30_000]  # a, delayed
        lag = _lag_of(gcc_phat(a, b), len(a), len(b))
        assert abs(lag - delay) < 0.15, (lag, delay)


def test_a_steady_drift_is_measured_in_ppm(scene):
    a = render(scene, Camera("a", start_s=5, seconds=90, rate=RATE, snr_db=10, seed=1))
    b = render(scene, Camera("b", start_s=12.5, seconds=85, rate=RATE, snr_db=10, drift_ppm=-80, seed=2))
    result = align(a, b, rate=RATE)
    assert result.aligned, result.reason
    print(f"drift {result.drift_ppm:.2f} ppm ± {result.drift_uncertainty_ppm:.2f}")
    assert abs(result.drift_ppm - -80) < 2
    assert abs(result.offset_at(10.0) - (10.0 - 7.5) * (1 - 80e-6) + 10.0) < 0.001


def test_independent_noise_is_not_aligned_and_the_reason_says_so():
    rng = np.random.default_rng(4)
    result = align(rng.standard_normal(60 * RATE), rng.standard_normal(70 * RATE), rate=RATE)
    assert not result.aligned
    assert result.reason.startswith("no common sound found")
    with pytest.raises(ValueError, match="not aligned"):
        result.offset_at(0.0)


def test_a_few_seconds_in_common_are_not_enough(scene):
    # The two clips share one 6 s stretch of the scene; the rest of each is another place.
    here, there = make_scene(70, seed=9), make_scene(70, seed=10)
    a = render(here, Camera("a", start_s=0, seconds=60, rate=RATE, snr_db=20, seed=1))
    b = render(there, Camera("b", start_s=0, seconds=60, rate=RATE, snr_db=20, seed=2))
    shared = render(scene, Camera("s", start_s=20, seconds=6, rate=RATE, snr_db=40, seed=3))
    a[30 * RATE : 36 * RATE] = shared
    b[10 * RATE : 16 * RATE] = shared
    result = align(a, b, rate=RATE)
    print(result.reason)
    assert not result.aligned
    assert result.offset_s is None


def test_a_clip_shorter_than_a_window_is_refused_in_words():
    result = align(np.ones(RATE), np.ones(60 * RATE), rate=RATE)
    assert not result.aligned and "shorter than one 8 s window" in result.reason


def test_resample_keeps_time_zero_and_the_length():
    t = np.arange(48_000 * 2) / 48_000
    x = np.sin(2 * np.pi * 440 * t + 0.7)
    y = resample(x, 48_000, 8_000)
    assert len(y) == 16_000
    expected = np.sin(2 * np.pi * 440 * np.arange(16_000) / 8_000 + 0.7)
    assert np.max(np.abs(y[100:-100] - expected[100:-100])) < 0.01


def test_results_carry_the_method_version_and_parameters():
    p = Parameters(window_s=6.0)
    result = align(np.zeros(10 * RATE), np.zeros(10 * RATE), rate=RATE, params=p)
    assert result.method == "gcc-phat-windowed" and result.version == "1"
    assert result.parameters["window_s"] == 6.0


def test_a_result_survives_a_round_trip_through_json(scene):
    a = render(scene, Camera("a", start_s=5, seconds=40, rate=RATE, snr_db=10, seed=1))
    b = render(scene, Camera("b", start_s=9, seconds=40, rate=RATE, snr_db=10, seed=2))
    result = align(a, b, rate=RATE)
    assert result.aligned, result.reason
    stored = json.loads(json.dumps(result.as_dict()))
    assert Alignment(**stored) == result
    assert abs(Alignment(**stored).offset_at(0.0) - -4.0) < 0.001
