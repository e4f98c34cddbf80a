"""How a recorder is built: the one place that turns a device (or raw options) into a `UvcRecorder`.

`spec_for_device` reads a configured `UvcDevice`: the FFmpeg test source for
`source = "test"`, else the device path with the capture options of its UVC
firmware profile (named, or matched by USB ids / card name), else plain v4l2.
`make_recorder` builds the recorder from a `RecorderSpec`; the service, a manual
`record-uvc`, and the raw `evidence-agent uvc record` command all go through it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from edge_agent.capture.recorder import UvcRecorder, test_source
from edge_agent.capture.segment import Segment
from edge_agent.core.config import UvcDevice
from firmware_profiles import get_profile, match_v4l2, v4l2_info

DEFAULT_SEGMENT_SECONDS = 60.0


@dataclass(frozen=True)
class RecorderSpec:
    """What to record and how to encode it (everything but where the segments go)."""

    source: str
    input_format: str
    options: dict[str, str] = field(default_factory=dict)
    segment_seconds: float = DEFAULT_SEGMENT_SECONDS
    encoder: dict = field(default_factory=dict)  # UvcRecorder's codec / bitrate / preset / audio


def spec_for_device(device: UvcDevice, profiles: Sequence) -> RecorderSpec:
    """The recorder spec of a configured device (its profile's capture options when it has one)."""
    capture = None
    if device.profile:
        capture = get_profile(device.profile, list(profiles)).capture
    elif device.source != "test" and profiles:
        matched = match_v4l2(v4l2_info(device.source), list(profiles))  # by USB ids or card name
        capture = matched.capture if matched else None
    seconds = device.segment_seconds or (capture.segment_seconds if capture else DEFAULT_SEGMENT_SECONDS)
    if device.source == "test":
        src, fmt, opts = test_source(realtime=True)
        return RecorderSpec(src, fmt, opts, seconds)
    if capture is None:
        return RecorderSpec(device.source, "v4l2", {}, seconds)
    opts = {"video_size": capture.video_size, "framerate": str(capture.framerate), **capture.options}
    return RecorderSpec(
        device.source,
        capture.input_format,
        opts,
        seconds,
        {"codec": capture.codec, "bitrate": capture.bitrate},
    )


def make_recorder(
    spec: RecorderSpec,
    *,
    out_dir: Path,
    name_prefix: str,
    on_segment: Callable[[Segment], None],
    stop: threading.Event,
    max_seconds: float | None = None,
) -> UvcRecorder:
    """A recorder (not started) writing `name_prefix-*.mp4` segments into `out_dir`."""
    return UvcRecorder(
        source=spec.source,
        input_format=spec.input_format,
        options=spec.options,
        out_dir=out_dir,
        segment_seconds=spec.segment_seconds,
        on_segment=on_segment,
        name_prefix=name_prefix,
        stop=stop,
        max_seconds=max_seconds,
        **spec.encoder,
    )
