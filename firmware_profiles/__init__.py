"""Declarative camera profiles: one TOML file per camera model, validated by a strict schema.

A profile tells the edge agent how to recognise a docked camera volume or a V4L2
dashcam, where its clips and sidecars are, how to read the serial, officer,
event flag, GPS track, timestamps and the camera clock, what may happen to a
clip on the camera after the server's receipt, and how to capture a UVC device.
Adding a camera model is adding a TOML file (see docs/firmware_profiles.md).
Standard library + pydantic only.
"""

from firmware_profiles.capture import AudioCapture, CaptureOptions
from firmware_profiles.devices import SystemPaths, mount_source, v4l2_info, volume_label, volume_usb_ids
from firmware_profiles.errors import ProfileError
from firmware_profiles.loader import BUILTIN_DIR, get_profile, load_profile_file, load_profiles
from firmware_profiles.matcher import MatchResult, V4L2Info, explain_volume_match, match_v4l2, match_volume
from firmware_profiles.metadata import ClipMetadata, VolumeInfo, read_clip_metadata, read_volume_info
from firmware_profiles.profile import ClipLayout, MetadataSpec, Profile
from firmware_profiles.schema import (
    ClockSpec,
    FileNameSpec,
    MatchRule,
    SidecarSpec,
)
from firmware_profiles.sidecars import SidecarError, read_volume_file
from firmware_profiles.sources import FlagSource, GpsSource, TimeSource, ValueSource
from firmware_profiles.timefmt import format_time, parse_time
from firmware_profiles.walk import iter_clips

__all__ = [
    "BUILTIN_DIR",
    "AudioCapture",
    "CaptureOptions",
    "ClipLayout",
    "ClipMetadata",
    "ClockSpec",
    "FileNameSpec",
    "FlagSource",
    "GpsSource",
    "MatchResult",
    "MatchRule",
    "MetadataSpec",
    "Profile",
    "ProfileError",
    "SidecarError",
    "SidecarSpec",
    "SystemPaths",
    "TimeSource",
    "V4L2Info",
    "ValueSource",
    "VolumeInfo",
    "explain_volume_match",
    "format_time",
    "iter_clips",
    "get_profile",
    "load_profile_file",
    "load_profiles",
    "match_v4l2",
    "match_volume",
    "mount_source",
    "parse_time",
    "read_clip_metadata",
    "read_volume_file",
    "read_volume_info",
    "v4l2_info",
    "volume_label",
    "volume_usb_ids",
]
