"""Recognising a docked volume or a V4L2 device: which profile applies.

Like udiskie's DeviceFilter, matching is an ordered list of rules over a
whitelist of keys, and the first rule that matches decides. Every rule of every
profile of the right kind is put in one list, ordered by
(profile priority, highest first; rule specificity = number of keys, highest
first; profile load order, latest first — so an extra folder's profile beats a
built-in; rule order in its file). A rule matches when every key it sets
matches; a key whose fact is unknown (no label, no USB ids) does not match.
Checking a marker file never follows a symlink and never opens a file.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from firmware_profiles.globs import safe_relpath
from firmware_profiles.profile import Profile
from firmware_profiles.schema import MatchRule


@dataclass(frozen=True)
class V4L2Info:
    """What is known about a V4L2 device: its node, its card name and, when known, its USB ids."""

    path: str
    name: str
    usb_vendor: int | None = None
    usb_product: int | None = None


@dataclass(frozen=True)
class MatchResult:
    profile: Profile
    rule_index: int
    rule: MatchRule

    def explain(self) -> str:
        keys = ", ".join(f"{k}={getattr(self.rule, k)!r}" for k in sorted(self.rule.keys()))
        return f"profile {self.profile.name} (rule {self.rule_index}: {keys})"


def _ordered_rules(profiles: Sequence[Profile], kind: str) -> list[tuple[Profile, int, MatchRule]]:
    entries = []
    for load_index, profile in enumerate(profiles):
        if profile.kind != kind:
            continue
        for rule_index, rule in enumerate(profile.match):
            sort_key = (-profile.priority, -len(rule.keys()), -load_index, rule_index)
            entries.append((sort_key, profile, rule_index, rule))
    entries.sort(key=lambda e: e[0])
    return [(p, i, r) for _, p, i, r in entries]


def _marker_exists(root: Path, marker: str) -> bool:
    try:
        rel = safe_relpath(marker)
    except ValueError:
        return False
    current = Path(root)
    for index, part in enumerate(rel.parts):  # lstat each step: never follow a symlink out of the volume
        current = current / part
        try:
            st = os.lstat(current)
        except OSError:
            return False
        last = index == len(rel.parts) - 1
        if stat.S_ISLNK(st.st_mode) or (not last and not stat.S_ISDIR(st.st_mode)):
            return False
    return True


def _ids_match(rule: MatchRule, usb_ids: tuple[int, int] | None) -> bool:
    if rule.usb_vendor is not None and (usb_ids is None or usb_ids[0] != rule.usb_vendor):
        return False
    return not (rule.usb_product is not None and (usb_ids is None or usb_ids[1] != rule.usb_product))


def _glob_ci(pattern: str, value: str | None) -> bool:
    return value is not None and fnmatch.fnmatchcase(value.casefold(), pattern.casefold())


def volume_rule_matches(
    rule: MatchRule, root: Path, *, label: str | None, usb_ids: tuple[int, int] | None
) -> bool:
    if not _ids_match(rule, usb_ids):
        return False
    if rule.volume_label is not None and not _glob_ci(rule.volume_label, label):
        return False
    return rule.marker_file is None or _marker_exists(root, rule.marker_file)


def v4l2_rule_matches(rule: MatchRule, info: V4L2Info) -> bool:
    if not _ids_match(
        rule,
        (info.usb_vendor, info.usb_product)
        if info.usb_vendor is not None and info.usb_product is not None
        else None,
    ):
        return False
    if rule.device_name is not None and not _glob_ci(rule.device_name, info.name):
        return False
    return rule.device_path is None or fnmatch.fnmatchcase(info.path, rule.device_path)


def explain_volume_match(
    root: Path,
    profiles: Sequence[Profile],
    *,
    label: str | None = None,
    usb_ids: tuple[int, int] | None = None,
) -> MatchResult | None:
    """The first matching rule for a mounted volume, with its profile (for logs and status)."""
    for profile, index, rule in _ordered_rules(profiles, "mass_storage"):
        if volume_rule_matches(rule, Path(root), label=label, usb_ids=usb_ids):
            return MatchResult(profile, index, rule)
    return None


def match_volume(
    root: Path,
    profiles: Sequence[Profile],
    *,
    label: str | None = None,
    usb_ids: tuple[int, int] | None = None,
) -> Profile | None:
    """The profile of the camera mounted at `root`, or None if no rule matches."""
    result = explain_volume_match(root, profiles, label=label, usb_ids=usb_ids)
    return result.profile if result else None


def match_v4l2(info: V4L2Info, profiles: Sequence[Profile]) -> Profile | None:
    """The profile of a V4L2 device, or None if no rule matches."""
    for profile, _, rule in _ordered_rules(profiles, "uvc"):
        if v4l2_rule_matches(rule, info):
            return profile
    return None
