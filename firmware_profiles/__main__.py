"""`python -m firmware_profiles`: check profile files and see what a profile reads from a volume.

    python -m firmware_profiles list [--profile-dir DIR ...]
    python -m firmware_profiles check FILE_OR_DIR ...
    python -m firmware_profiles inspect VOLUME [--profile-dir DIR ...] [--label L] [--usb VID:PID] [--clips N]

`inspect` shows which rule of which profile matches the volume, the serial and
clock it reads, and the metadata and warnings of the first clips: what a person
adding a camera model needs to see. Exit status 1 on a profile error or no match.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from firmware_profiles.errors import ProfileError
from firmware_profiles.loader import check_profile_files, load_profiles
from firmware_profiles.matcher import explain_volume_match
from firmware_profiles.metadata import read_clip_metadata, read_volume_info
from firmware_profiles.walk import iter_clips


def _show(text: str) -> str:
    """A name as a person can read it on one line: control characters (a newline in a name) escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _list(args: argparse.Namespace, out: TextIO) -> int:
    for p in load_profiles(args.profile_dir):
        print(f"{p.name:28} {p.kind:12} {p.source_file}", file=out)
    return 0


def _check(args: argparse.Namespace, out: TextIO) -> int:
    results = check_profile_files(args.paths)
    for path, error in results:
        print(f"error {error}" if error else f"ok    {path}", file=out)
    return 1 if not results or any(error for _, error in results) else 0


def _inspect(args: argparse.Namespace, out: TextIO) -> int:
    profiles = load_profiles(args.profile_dir)
    result = explain_volume_match(args.volume, profiles, label=args.label, usb_ids=args.usb)
    if result is None:
        print(f"no profile matches {args.volume}", file=out)
        return 1
    profile = result.profile
    print(f"matched: {result.explain()}", file=out)
    info = read_volume_info(profile, args.volume, label=args.label)
    offset = (info.camera_clock - datetime.now(UTC)).total_seconds() if info.camera_clock else None
    print(
        f"serial: {info.device_serial}  label: {info.label}  camera clock: {info.camera_clock}"
        f"  offset: {offset if offset is None else round(offset, 1)} s",
        file=out,
    )
    for warning in info.warnings:
        print(f"  warning: {warning}", file=out)
    for n, relpath in enumerate(iter_clips(profile, args.volume)):
        if n >= args.clips:
            print("...", file=out)
            break
        meta = read_clip_metadata(profile, args.volume, relpath)
        print(
            f"{_show(str(relpath))}: officer={meta.officer_id} serial={meta.device_serial}"
            f" start={meta.camera_start}"
            f" event={meta.event} gps_points={len(meta.gps)} sidecars={[str(s) for s in meta.sidecars]}"
            f"{' extra=' + str(meta.extra) if meta.extra else ''}",
            file=out,
        )
        for warning in meta.warnings:
            print(f"  warning: {_show(warning)}", file=out)
    return 0


def _usb_ids(text: str) -> tuple[int, int]:
    """`--usb VID:PID` (hex) as two numbers; anything else is a usage error, not a traceback."""
    try:
        vendor, product = (int(part, 16) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not VID:PID in hex, e.g. 1d6b:0104") from None
    return vendor, product


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m firmware_profiles", description=(__doc__ or "").split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("list", "inspect"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--profile-dir", action="append", type=Path, default=[], help="extra profile folder")
        if name == "inspect":
            cmd.add_argument("volume", type=Path)
            cmd.add_argument("--label", help="file-system label (default: looked up)")
            cmd.add_argument("--usb", type=_usb_ids, help="USB ids as VID:PID in hex, e.g. 1d6b:0104")
            cmd.add_argument("--clips", type=int, default=5, help="how many clips to show")
    sub.add_parser("check").add_argument("paths", nargs="+", help="profile files or folders")
    args = parser.parse_args(argv)
    try:
        return {"list": _list, "check": _check, "inspect": _inspect}[args.command](args, out)
    except ProfileError as exc:
        print(f"error {exc}", file=out)
        return 1


if __name__ == "__main__":
    sys.exit(main())
