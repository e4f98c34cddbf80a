"""Capture options of a UVC (V4L2) dashcam profile, used by edge_agent's recorder.

The recorder opens `device` with PyAV/FFmpeg as `input_format` with `options`
(FFmpeg demuxer options such as `video_size`, `framerate`, `input_format`),
encodes with `codec` at `bitrate`, and cuts fragmented MP4 segments of
`segment_seconds` (written front to back, playable after a power cut).
"""

from __future__ import annotations

import re

from pydantic import field_validator

from firmware_profiles.base import F, StrictModel


class AudioCapture(StrictModel):
    """An audio input recorded with the video (a microphone seen by ALSA or PulseAudio)."""

    input_format: str = F(
        "alsa", title="Audio input format", description="FFmpeg input format ('alsa', 'pulse')."
    )
    device: str = F("default", title="Audio device", description="The audio device ('default', 'hw:1,0').")
    options: dict[str, str] = F(
        {}, title="Audio input options", description="FFmpeg options for the audio input."
    )
    codec: str = F("aac", title="Audio codec", description="Encoder for the audio track.")
    bitrate: int = F(64_000, title="Audio bitrate", gt=0, description="Audio bits per second.")


class CaptureOptions(StrictModel):
    """How to record a UVC dashcam."""

    input_format: str = F(
        "v4l2",
        title="Input format",
        description="FFmpeg input format of the device ('v4l2'; 'lavfi' for the test source).",
    )
    device: str = F("/dev/video0", title="Device", description="Device node or FFmpeg input URL.")
    options: dict[str, str] = F(
        {}, title="Device options", description="FFmpeg demuxer options, e.g. {input_format = 'mjpeg'}."
    )
    video_size: str = F("1280x720", title="Video size", description="Frame size as WIDTHxHEIGHT.")
    framerate: int = F(30, title="Frame rate", gt=0, le=240, description="Frames per second.")
    codec: str = F("libx264", title="Video codec", description="Encoder for the video track.")
    bitrate: int = F(4_000_000, title="Video bitrate", gt=0, description="Video bits per second.")
    segment_seconds: float = F(
        60.0,
        title="Segment length",
        gt=0,
        description="Seconds per fragmented-MP4 segment; each closed segment is a clip.",
    )
    movflags: str = F(
        "frag_keyframe+empty_moov+default_base_moof",
        title="MP4 flags",
        description="FFmpeg movflags making the segment fragmented (playable after a power cut).",
    )
    audio: AudioCapture | None = F(None, title="Audio", description="Audio input to record; none if absent.")

    @field_validator("video_size")
    @classmethod
    def _size(cls, v: str) -> str:
        if not re.fullmatch(r"[1-9][0-9]{1,4}x[1-9][0-9]{1,4}", v):
            raise ValueError(f"video_size {v!r} must be WIDTHxHEIGHT, e.g. '1280x720'")
        return v

    @property
    def width(self) -> int:
        return int(self.video_size.split("x")[0])

    @property
    def height(self) -> int:
        return int(self.video_size.split("x")[1])
