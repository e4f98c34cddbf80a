"""Media facts and a thumbnail for a spooled clip, read from the spool copy only.

`probe_clip` never raises for bad media: a truncated or unplayable file is still
evidence, so it returns what it could learn plus flags. "truncated" comes from the
ISO BMFF box structure (a top-level box running past the end of the file, or media
data without any movie or fragment header: the recording was never closed);
"unplayable" means PyAV could not open it or decode a single video frame.

`write_thumbnail` encodes the first decodable frame as JPEG with OpenCV and writes
it durably (temporary name, fsync, rename, directory fsync) beside the spool copy:
a derived file, never the original.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from hashing import fsync_dir

_ISO_SUFFIXES = {".mp4", ".mov", ".m4v", ".3gp", ".mp4v"}
THUMB_WIDTH = 320


@dataclass
class Probe:
    container: str | None = None
    codec: str | None = None
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    has_audio: bool | None = None
    audio_codec: str | None = None
    creation_time: str | None = None
    flags: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    frame: np.ndarray | None = field(default=None, repr=False)  # first frame, BGR, for the thumbnail

    def facts(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("frame", "flags")}


def iso_boxes_truncated(path: Path) -> str | None:
    """Why an ISO BMFF file looks cut short, or None. Non-ISO files give None."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(8)
            if len(head) < 8 or head[4:8] not in (b"ftyp", b"styp", b"moov", b"mdat", b"free", b"wide"):
                return None
            fh.seek(0)
            offset, seen = 0, set()
            while offset < size:
                fh.seek(offset)
                hdr = fh.read(16)
                if len(hdr) < 8:
                    return f"box header cut at byte {offset}"
                box_len, box_type = struct.unpack(">I4s", hdr[:8])
                if box_len == 1:
                    if len(hdr) < 16:
                        return f"box header cut at byte {offset}"
                    box_len = struct.unpack(">Q", hdr[8:16])[0]
                elif box_len == 0:
                    box_len = size - offset
                if box_len < 8:
                    return f"invalid box length {box_len} at byte {offset}"
                if offset + box_len > size:
                    return (
                        f"'{box_type.decode('latin-1')}' box at byte {offset} needs {box_len} bytes, "
                        f"file ends after {size - offset}"
                    )
                seen.add(box_type)
                offset += box_len
            if b"mdat" in seen and b"moov" not in seen and b"moof" not in seen:
                return "media data without a movie header (recording never closed)"
    except OSError as exc:
        return f"cannot read box structure ({exc.strerror})"
    return None


def _fps(rate) -> float | None:
    if rate is None:
        return None
    try:
        value = float(Fraction(rate))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return round(value, 3) if value > 0 else None


def probe_clip(path: Path) -> Probe:
    """Container, codecs, duration, size, rate, audio, creation time, flags and the first frame."""
    path = Path(path)
    probe = Probe()
    why = iso_boxes_truncated(path)
    if why is not None:
        probe.flags.append("truncated")
        probe.problems.append(why)
    try:
        with av.open(str(path), mode="r") as container:
            probe.container = container.format.name
            if container.duration is not None:
                probe.duration_seconds = round(container.duration / av.time_base, 3)
            probe.creation_time = container.metadata.get("creation_time")
            probe.has_audio = bool(container.streams.audio)
            if container.streams.audio:
                probe.audio_codec = container.streams.audio[0].codec_context.name
            if container.streams.video:
                video = container.streams.video[0]
                probe.codec = video.codec_context.name
                probe.width = video.codec_context.width or None
                probe.height = video.codec_context.height or None
                probe.fps = _fps(video.average_rate or video.guessed_rate)
                for frame in container.decode(video=0):
                    probe.frame = frame.to_ndarray(format="bgr24")
                    break
    except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
        probe.problems.append(f"PyAV: {exc}")
    if probe.frame is None:
        probe.flags.append("unplayable")
        if not probe.problems:
            probe.problems.append("no decodable video frame")
    return probe


def write_thumbnail(frame: np.ndarray, dst: Path) -> Path:
    """A JPEG (OpenCV) of `frame` scaled to THUMB_WIDTH wide, written durably at `dst`."""
    h, w = frame.shape[:2]
    scale = THUMB_WIDTH / w if w > THUMB_WIDTH else 1.0
    small = cv2.resize(frame, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise ValueError("OpenCV could not encode the thumbnail")
    tmp = dst.with_name(f".{dst.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o444)
    try:
        data = memoryview(jpeg.tobytes())
        while data:
            data = data[os.write(fd, data) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, dst)
    fsync_dir(dst.parent)
    return dst


@dataclass(frozen=True)
class SpooledMedia:
    """What a spooled clip's journal row records about its media."""

    facts: dict  # `Probe.facts()`: container, codecs, duration, size, rate, audio, problems
    flags: list[str]  # "truncated", "unplayable"
    problems: list[str]  # why it is flagged, in words
    warnings: list[str]  # the problems, plus a thumbnail that could not be written
    thumbnail: str | None  # path of the JPEG beside the spool copy, if one was written


def describe_spooled(path: Path, *, thumb_path: Path | None) -> SpooledMedia:
    """Probe a spool copy and write its thumbnail at `thumb_path` (None: no thumbnail).

    The one step for every clip entering the spool (offloaded or recorded): it
    never raises for bad media, and a thumbnail that cannot be written is a warning.
    """
    probe = probe_clip(path)
    warnings = list(probe.problems)
    thumbnail = None
    if thumb_path is not None and probe.frame is not None:
        try:
            thumbnail = str(write_thumbnail(probe.frame, thumb_path))
        except (OSError, ValueError) as exc:
            warnings.append(f"no thumbnail: {exc}")
    return SpooledMedia(probe.facts(), list(probe.flags), list(probe.problems), warnings, thumbnail)
