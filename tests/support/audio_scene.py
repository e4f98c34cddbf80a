"""Test footage for audio alignment: one sound scene heard by several simulated cameras.

`make_scene` writes a scene at 24 kHz, band-limited to 3.4 kHz: speech-like
syllables (gliding harmonic series with two formants), noise bursts (slams,
claps: fast attack, exponential decay), siren wails and a low common ambience.
`render` "records" it with a `Camera`: its own start time in the scene, sample
rate, gain, clock drift (a camera whose crystal runs fast by d takes 1 + d
samples per true sample period), independent background noise at a stated
signal-to-noise ratio in the same band, and optionally mains hum.
`write_mp4` muxes the recording with a tiny H.264 picture into a real MP4 (AAC
audio) with PyAV. `true_offset` is the ground truth the estimator is graded on.
Everything is a function of the arguments and the seeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

SCENE_RATE = 24_000
BAND_HZ = 3_400.0


@dataclass(frozen=True)
class Scene:
    samples: np.ndarray  # float32 at SCENE_RATE; scene time 0 is samples[0]
    power: float  # mean square of the scene

    @property
    def seconds(self) -> float:
        return len(self.samples) / SCENE_RATE


@dataclass(frozen=True)
class Camera:
    name: str
    start_s: float  # scene time at which the camera starts recording
    seconds: float  # media length
    rate: int = 16_000
    gain: float = 1.0
    snr_db: float = 20.0  # scene power / independent noise power, in the scene's band
    drift_ppm: float = 0.0
    hum_db: float | None = None  # mains hum power relative to the scene power
    seed: int = 0


def lowpass(rate: int, cutoff: float = BAND_HZ, taps: int = 101) -> np.ndarray:
    n = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(2 * cutoff / rate * n) * np.blackman(taps)
    return h / h.sum()


def _syllable(rng, n: int, rate: int) -> np.ndarray:
    t = np.arange(n) / rate
    f0 = rng.uniform(95, 230) * (1 + rng.uniform(-0.3, 0.3) * t / t[-1])
    phase = 2 * np.pi * np.cumsum(f0) / rate
    formants = rng.uniform(300, 900), rng.uniform(1000, 2800)
    out = np.zeros(n)
    for k in range(1, int(BAND_HZ / f0.max())):
        freq = k * f0.mean()
        weight = sum(np.exp(-(((freq - f) / 250.0) ** 2)) for f in formants) + 0.05
        out += weight * np.sin(k * phase)
    return out * np.hanning(n)


def _burst(rng, n: int, rate: int) -> np.ndarray:
    noise = np.convolve(rng.standard_normal(n), lowpass(rate), mode="same")
    return noise * np.exp(-np.arange(n) / (rate * rng.uniform(0.01, 0.06))) * 4.0


def _siren(rng, n: int, rate: int) -> np.ndarray:
    t = np.arange(n) / rate
    centre, depth, period = rng.uniform(800, 1200), rng.uniform(250, 450), rng.uniform(2.5, 5.0)
    freq = centre + depth * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    phase = 2 * np.pi * np.cumsum(freq) / rate
    tone = np.sin(phase) + 0.4 * np.sin(2 * phase) * (2 * freq.max() < BAND_HZ)
    ramp = np.minimum(1, np.minimum(t, t[-1] - t) / 0.5)
    return 0.5 * tone * ramp


def make_scene(seconds: float, *, seed: int) -> Scene:
    rng = np.random.default_rng(seed)
    n = int(seconds * SCENE_RATE)
    out = np.zeros(n, np.float32)
    t = 0.0
    while t < seconds:
        kind = rng.choice(["speech", "burst", "siren"], p=[0.62, 0.3, 0.08])
        if kind == "speech":
            for _ in range(rng.integers(2, 8)):
                length = int(rng.uniform(0.08, 0.3) * SCENE_RATE)
                i = int(t * SCENE_RATE)
                piece = _syllable(rng, length, SCENE_RATE)[: max(0, n - i)]
                out[i : i + len(piece)] += piece * rng.uniform(0.3, 1.0)
                t += length / SCENE_RATE + rng.uniform(0.02, 0.15)
        else:
            length = int((rng.uniform(0.02, 0.25) if kind == "burst" else rng.uniform(6, 20)) * SCENE_RATE)
            i = int(t * SCENE_RATE)
            make = _burst if kind == "burst" else _siren
            piece = make(rng, length, SCENE_RATE)[: max(0, n - i)]
            out[i : i + len(piece)] += piece * rng.uniform(0.4, 1.0)
            t += length / SCENE_RATE * (1.0 if kind == "burst" else 0.6)  # speech goes on over a siren
        t += rng.uniform(0.1, 1.2)
    block = 60 * SCENE_RATE  # a minute at a time: a long scene need not fit in memory four times over
    for i in range(0, n, block):
        piece = np.convolve(rng.standard_normal(min(block, n - i)), lowpass(SCENE_RATE, 800.0), mode="same")
        out[i : i + block] += (0.05 * piece).astype(np.float32)
    out *= 0.1 / np.sqrt(np.mean(out.astype(np.float64) ** 2))
    return Scene(samples=out, power=float(np.mean(out.astype(np.float64) ** 2)))


def render(scene: Scene, camera: Camera, *, first: int = 0, count: int | None = None) -> np.ndarray:
    """The camera's recording (float32 at camera.rate) of the scene, with its noise, hum and drift.

    `first` and `count` pick a stretch of samples, so a long recording can be made block by block
    (`render_blocks`); each block's noise has its own seed.
    """
    rng = np.random.default_rng([camera.seed, first])
    total = int(camera.seconds * camera.rate)
    count = total - first if count is None else min(count, total - first)
    k = np.arange(first, first + count)
    when = camera.start_s + k / (camera.rate * (1 + camera.drift_ppm * 1e-6))  # scene time of each sample
    if when[0] < 0 or when[-1] > scene.seconds:
        raise ValueError(f"camera {camera.name} records outside the scene ({when[0]:.1f}..{when[-1]:.1f} s)")
    lo = int(when[0] * SCENE_RATE)
    hi = min(len(scene.samples), int(when[-1] * SCENE_RATE) + 2)
    heard = camera.gain * np.interp(when * SCENE_RATE, np.arange(lo, hi), scene.samples[lo:hi])
    power = camera.gain**2 * scene.power
    noise = np.convolve(rng.standard_normal(count), lowpass(camera.rate), mode="same")
    noise *= np.sqrt(power / 10 ** (camera.snr_db / 10) / np.mean(noise**2))
    out = heard + noise
    if camera.hum_db is not None:
        t = k / camera.rate
        hum = sum(a * np.sin(2 * np.pi * 60 * h * t + h) for h, a in ((1, 1.0), (2, 0.5), (3, 0.7), (5, 0.3)))
        out += hum * np.sqrt(power * 10 ** (camera.hum_db / 10) / 0.915)  # mean square of that sum
    return out.astype(np.float32)


def render_blocks(scene: Scene, camera: Camera, block_s: float = 10.0):
    """`render` in blocks of `block_s`, for recordings too long to hold at once."""
    step = int(block_s * camera.rate)
    for first in range(0, int(camera.seconds * camera.rate), step):
        yield render(scene, camera, first=first, count=step)


def true_offset(a: Camera, b: Camera, t_a: float) -> float:
    """B's media time minus A's media time of the sound A records at media time `t_a`."""
    scene_time = a.start_s + t_a / (1 + a.drift_ppm * 1e-6)
    return (scene_time - b.start_s) * (1 + b.drift_ppm * 1e-6) - t_a


def true_drift_ppm(a: Camera, b: Camera) -> float:
    return ((1 + b.drift_ppm * 1e-6) / (1 + a.drift_ppm * 1e-6) - 1) * 1e6


def write_mp4(path: Path, audio, rate: int, *, fps: int = 5, size=(64, 48)) -> Path:
    """An H.264 + AAC MP4 of `audio` (mono float32 at `rate`: an array, or an iterable of blocks)
    with a small changing picture, interleaved as a camera writes it."""
    blocks = [audio] if isinstance(audio, np.ndarray) else audio
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "threads": "1"})
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        sound = container.add_stream("aac", rate=rate, layout="mono")
        sound.bit_rate = 64_000
        pending = np.zeros(0, np.float32)
        done = frames = 0

        def picture_upto(samples: int) -> None:
            nonlocal frames
            while frames * rate < samples * fps:
                image = np.full((size[1], size[0], 3), (frames * 9) % 256, np.uint8)
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts = frames
                container.mux(video.encode(frame))
                frames += 1

        def sound_frame(block: np.ndarray) -> None:
            nonlocal done
            frame = av.AudioFrame.from_ndarray(
                block[None, :].astype(np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = rate, done
            container.mux(sound.encode(frame))
            done += len(block)
            picture_upto(done)

        for block in blocks:
            pending = np.concatenate([pending, np.asarray(block, np.float32)])
            whole = len(pending) // 1024 * 1024
            for i in range(0, whole, 1024):
                sound_frame(pending[i : i + 1024])
            pending = pending[whole:]
        if len(pending):
            sound_frame(pending)
        container.mux(video.encode(None))
        container.mux(sound.encode(None))
    return path
