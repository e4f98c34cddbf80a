"""A simulated body camera: a folder tree in a firmware profile's layout, with real footage.

`simulate_camera` writes real H.264/AAC MP4 clips made with PyAV (a moving
gradient and box with a frame counter, a tone whose pitch changes per clip),
each clip's sidecars, the serial and clock files, and a marker file, exactly
where the profile's readers look (through `firmware_profiles.writers`). The
camera clock file says now + `clock_offset`. Options reproduce the field's
trouble: truncated clips (battery died mid-write: no moov atom), odd file names
(spaces, unicode, a newline), a symlink out of the volume, a FIFO named like a
clip. The second clip is always flagged as an event. `start_writing_clip` grows
a clip in real time, like a camera recording. Everything but the clock file is a
function of the arguments and `seed`.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import av
import cv2
import numpy as np

from firmware_profiles import Profile, get_profile, load_profiles
from firmware_profiles.writers import ClipFacts, VolumeWriter

DEFAULT_START = datetime(2026, 3, 14, 14, 0, 0, tzinfo=UTC)
AUDIO_RATE = 48_000
ODD_STEMS = (" with spaces (1)", "_Überwachung_日本", "_line\nbreak")
OUTSIDE_TARGET = "/etc/passwd"  # exists on every Linux system: following the link would copy it


@dataclass(frozen=True)
class SimulatedClip:
    relpath: PurePosixPath
    officer_id: str | None  # None when the profile has nowhere to record it
    camera_start: datetime  # aware, camera time
    event: bool
    truncated: bool
    device_serial: str | None = None
    gps: list[tuple[datetime, float, float]] = field(default_factory=list)
    seconds: float = 0.0
    odd_name: bool = False


@dataclass
class SimulatedVolume:
    root: Path
    profile_name: str
    clips: list[SimulatedClip]
    device_serial: str | None = None
    camera_clock: datetime | None = None  # what the clock file says
    symlinks: list[PurePosixPath] = field(default_factory=list)
    fifos: list[PurePosixPath] = field(default_factory=list)


def _frame(i: int, width: int, height: int, hue: int) -> np.ndarray:
    x = (np.arange(width, dtype=np.uint16) + i * 4) % 256
    img = np.empty((height, width, 3), np.uint8)
    img[:, :, 0] = x[None, :]
    img[:, :, 1] = np.arange(height, dtype=np.uint16)[:, None] * 255 // max(height - 1, 1)
    img[:, :, 2] = hue
    box = max(8, min(width, height) // 6)
    bx = (i * 7) % max(width - box, 1)
    by = (i * 3) % max(height - box, 1)
    img[by : by + box, bx : bx + box] = (255, 255, 255)
    cv2.putText(
        img,
        f"{i:06d}",
        (4, max(16, height // 10)),
        cv2.FONT_HERSHEY_SIMPLEX,
        max(0.4, height / 480),
        (0, 0, 0),
        1,
        cv2.LINE_AA,
    )
    return img


class _Encoder:
    """Writes an H.264 + AAC MP4 frame by frame (interleaved), so a clip can also be grown live."""

    def __init__(self, target, *, width: int, height: int, fps: int, bitrate: int, tone_hz: float, hue: int):
        self.container = av.open(target, "w", format="mp4")
        try:
            self.video = self.container.add_stream(
                "libx264", rate=fps, options={"preset": "ultrafast", "threads": "1"}
            )
            self.video.width, self.video.height, self.video.pix_fmt = width, height, "yuv420p"
            self.video.bit_rate = bitrate
            self.audio = self.container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        except Exception:
            self.container.close()
            raise
        self.fps, self.width, self.height, self.tone, self.hue = fps, width, height, tone_hz, hue
        self.frames = 0
        self.samples = 0

    def add_frame(self) -> None:
        frame = av.VideoFrame.from_ndarray(
            _frame(self.frames, self.width, self.height, self.hue), format="rgb24"
        )
        frame.pts = self.frames
        self.container.mux(self.video.encode(frame))
        self.frames += 1
        upto = self.frames * AUDIO_RATE // self.fps
        while self.samples + 1024 <= upto:
            t = np.arange(self.samples, self.samples + 1024) / AUDIO_RATE
            pcm = (0.2 * np.sin(2 * np.pi * self.tone * t)).astype(np.float32)[None, :]
            aframe = av.AudioFrame.from_ndarray(pcm, format="fltp", layout="mono")
            aframe.sample_rate, aframe.pts = AUDIO_RATE, self.samples
            self.container.mux(self.audio.encode(aframe))
            self.samples += 1024

    def close(self) -> None:
        try:
            self.container.mux(self.video.encode(None))
            self.container.mux(self.audio.encode(None))
        finally:
            self.container.close()


def encode_clip(
    path: Path,
    seconds: float,
    *,
    width: int = 640,
    height: int = 360,
    fps: int = 30,
    bitrate: int = 2_000_000,
    seed: int = 0,
) -> None:
    """Write a playable H.264/AAC MP4 of `seconds` (rounded to whole frames) at `path`."""
    if width % 2 or height % 2 or width < 16 or height < 16:
        raise ValueError(f"frame size {width}x{height}: H.264 4:2:0 needs even sizes of at least 16")
    rng = random.Random(seed)
    enc = _Encoder(
        str(path),
        width=width,
        height=height,
        fps=fps,
        bitrate=bitrate,
        tone_hz=rng.choice((330.0, 440.0, 550.0, 660.0)),
        hue=rng.randrange(256),
    )
    try:
        for _ in range(max(1, round(seconds * fps))):
            enc.add_frame()
    finally:
        enc.close()


def _gps_track(rng: random.Random, start: datetime, seconds: float) -> list[tuple[datetime, float, float]]:
    lat, lon = 41.7637 + rng.uniform(-0.05, 0.05), -72.6851 + rng.uniform(-0.05, 0.05)  # around Hartford, CT
    track = []
    for s in range(max(1, int(seconds))):
        track.append((start + timedelta(seconds=s), round(lat, 6), round(lon, 6)))
        lat, lon = lat + rng.uniform(-2e-4, 2e-4), lon + rng.uniform(-2e-4, 2e-4)
    return track


def _recorded_gps(profile: Profile, track: list) -> list:
    gps = profile.metadata.gps
    if gps is None:
        return []
    return track[:1] if gps.points == "." else track  # a CSV index row holds one fix


def _write(root: Path, relpath: PurePosixPath, data: bytes) -> None:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def simulate_camera(
    profile: Profile,
    out: Path,
    *,
    clips: int,
    seconds: float,
    seed: int = 0,
    truncated: int = 0,
    odd_names: bool = False,
    symlink_out: bool = False,
    fifo: bool = False,
    clock_offset: float = 0.0,
    width: int = 640,
    height: int = 360,
    bitrate: int = 2_000_000,
    officer_id: str = "B1234",
    device_serial: str | None = None,
    start: datetime | None = None,
    fps: int = 30,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SimulatedVolume:
    """Write a camera volume at `out` in `profile`'s layout; see the module docstring."""
    if not 0 <= truncated <= clips:
        raise ValueError(f"truncated={truncated} must be between 0 and clips={clips}")
    if seconds <= 0 or clips < 0:
        raise ValueError("clips must be >= 0 and seconds > 0")
    rng = random.Random(seed)
    writer = VolumeWriter(profile)  # raises for UVC profiles: a live device is simulated by uvc.test_source
    md = profile.metadata
    serial = device_serial or f"SIM{rng.randrange(16**6):06X}"
    cut = set(rng.sample(range(clips), truncated))
    start = (start or DEFAULT_START).astimezone(UTC).replace(microsecond=0)
    planned = _plan(writer, rng, clips, seconds, odd_names, officer_id, serial, start)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result: list[SimulatedClip] = []
    for index, (relpath, facts, odd) in enumerate(planned):
        path = out / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        encode_clip(
            path, seconds, width=width, height=height, fps=fps, bitrate=bitrate, seed=seed * 1000 + index
        )
        if index in cut:  # the battery died mid-recording: no moov atom
            os.truncate(path, int(path.stat().st_size * rng.uniform(0.3, 0.7)))
        end = (facts.camera_start + timedelta(seconds=seconds)).timestamp()
        os.utime(path, (end, end))
        writer.add_clip(relpath, facts)
        result.append(
            SimulatedClip(
                relpath=relpath,
                officer_id=officer_id if md.officer_id else None,
                camera_start=facts.camera_start,
                event=facts.event if md.event else False,
                truncated=index in cut,
                device_serial=serial if md.device_serial else None,
                gps=_recorded_gps(profile, facts.gps),
                seconds=seconds,
                odd_name=odd,
            )
        )
    written = now()  # the camera writes its clock (whole seconds, truncated) when it is connected
    camera_now = (written + timedelta(seconds=clock_offset)).replace(microsecond=0)
    writer.set_clock(camera_now)
    for relpath, data in writer.files().items():
        _write(out, relpath, data)
    if profile.clock is not None:  # its modification time is that moment on the dock's clock
        stamp = int(written.timestamp() * 1_000_000) * 1000
        os.utime(out / profile.clock.file, ns=(stamp, stamp))
    volume = SimulatedVolume(
        out, profile.name, result, serial if md.device_serial else None, camera_now if profile.clock else None
    )
    first = planned[0][0] if planned else PurePosixPath("CLIP.mp4")
    _add_trouble(volume, (out / first).parent, first.suffix, symlink_out=symlink_out, fifo=fifo)
    return volume


def _plan(
    writer: VolumeWriter,
    rng: random.Random,
    clips: int,
    seconds: float,
    odd_names: bool,
    officer_id: str,
    serial: str,
    when: datetime,
) -> list[tuple[PurePosixPath, ClipFacts, bool]]:
    """(path, facts, odd name) of each clip: one after the other, with gaps, as a shift goes."""
    planned: list[tuple[PurePosixPath, ClipFacts, bool]] = []
    for i in range(clips + (len(ODD_STEMS) if odd_names and clips else 0)):
        odd = i >= clips
        facts = ClipFacts(
            seq=i + 1,
            camera_start=when,
            officer_id=officer_id,
            device_serial=serial,
            event=not odd and (rng.random() < 0.3 or i == 1),
            gps=_gps_track(rng, when, seconds),
        )
        if odd:  # named after the first clip, with a space, unicode or a newline added
            relpath = writer.clip_relpath(planned[0][1], stem_suffix=ODD_STEMS[i - clips])
        else:
            relpath = writer.clip_relpath(facts)
        planned.append((relpath, facts, odd))
        when += timedelta(seconds=int(seconds) + 1 + rng.randrange(20, 600))
    return planned


def _add_trouble(
    volume: SimulatedVolume, folder: Path, suffix: str, *, symlink_out: bool, fifo: bool
) -> None:
    """Links out of the volume and a FIFO, named like clips to tempt a naive copier."""
    out = volume.root

    def rel(path: Path) -> PurePosixPath:
        return PurePosixPath(path.relative_to(out).as_posix())

    folder.mkdir(parents=True, exist_ok=True)
    if symlink_out:
        link, escape = folder / f"LINK_OUT{suffix}", folder / "ESCAPE"
        if not os.path.lexists(link):
            os.symlink(OUTSIDE_TARGET, link)
        if not os.path.lexists(escape):
            os.symlink(os.path.relpath(out.parent, folder), escape)  # a folder link back out of the volume
        volume.symlinks += [rel(link), rel(escape)]
    if fifo:
        pipe = folder / f"PIPE{suffix}"
        if not os.path.lexists(pipe):
            os.mkfifo(pipe)
        volume.fifos.append(rel(pipe))


def start_writing_clip(
    root: Path,
    relpath: PurePosixPath,
    seconds: float,
    stop: threading.Event,
    *,
    width: int = 320,
    height: int = 240,
    fps: int = 15,
    bitrate: int = 1_000_000,
) -> threading.Thread:
    """Start a thread that records a clip in real time at root/relpath: the file grows frame by frame.

    It stops after `seconds` of footage or as soon as `stop` is set, then finishes the
    file (writes the moov atom) as a camera does when recording ends.
    """
    path = Path(root) / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "wb", buffering=0)  # noqa: SIM115 - the thread owns and closes it
    try:
        enc = _Encoder(fh, width=width, height=height, fps=fps, bitrate=bitrate, tone_hz=440.0, hue=64)
    except Exception:
        fh.close()
        raise

    def record() -> None:
        try:
            for _ in range(max(1, round(seconds * fps))):
                enc.add_frame()
                if stop.wait(1 / fps):
                    break
        finally:
            try:
                enc.close()
            finally:
                fh.close()

    thread = threading.Thread(target=record, name=f"sim-recording-{relpath.name}", daemon=True)
    thread.start()
    return thread


def simulate(
    profile_name: str,
    out: Path,
    *,
    clips: int,
    seconds: float,
    seed: int,
    truncated: int,
    odd_names: bool,
    symlink_out: bool,
    fifo: bool,
    clock_offset: float,
    still_writing: float | None,
    profile_dirs=(),
    console=None,
) -> None:
    """`evidence-agent simulate-camera`: a volume of `profile_name` in `out`, optionally one growing clip."""
    profile = get_profile(profile_name, load_profiles(list(profile_dirs)))
    vol = simulate_camera(
        profile,
        out,
        clips=clips,
        seconds=seconds,
        seed=seed,
        truncated=truncated,
        odd_names=odd_names,
        symlink_out=symlink_out,
        fifo=fifo,
        clock_offset=clock_offset,
    )
    if console:
        console.print(f"simulated {profile.name} volume at {vol.root}: {len(vol.clips)} clip(s)")
    if still_writing:
        last = vol.clips[-1].relpath if vol.clips else PurePosixPath("DCIM/100MEDIA/CLIP.MP4")
        rel = last.with_name(f"{last.stem}_W{last.suffix}")
        stop = threading.Event()
        thread = start_writing_clip(vol.root, rel, still_writing, stop)
        if console:
            console.print(f"writing {rel} for {still_writing} s")
        thread.join()
