"""Command line for UVC capture on its own: `python -m edge_agent.uvc_cli record|recover ...`.

`record` captures a device (or the FFmpeg test source) into segments until
SIGINT/SIGTERM, an unplug or `--seconds` of media, printing one JSON line per
closed segment. `recover` keeps the segments a crash left open and prints them
the same way. `evidence-agent run` drives `UvcRecorder` itself; this is for
trying a dashcam by hand and for the crash tests.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from edge_agent.capture.recorder import Segment, UvcRecorder, recover_partial_segments, test_source


def segment_json(segment: Segment) -> str:
    return json.dumps(
        {
            "path": str(segment.path),
            "sha256": segment.digest.sha256,
            "size": segment.digest.size,
            "partial": segment.partial,
            "frames": segment.frames,
            "reason": segment.reason,
            "started_at": segment.started_at.isoformat(),
            "ended_at": segment.ended_at.isoformat(),
        }
    )


def _print(segment: Segment) -> None:
    print(segment_json(segment), flush=True)


def _option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m edge_agent.uvc_cli", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="capture into hashed fragmented MP4 segments")
    rec.add_argument("--out", type=Path, required=True, help="segment folder")
    what = rec.add_mutually_exclusive_group(required=True)
    what.add_argument("--source", help="device path, e.g. /dev/video0")
    what.add_argument("--test-source", action="store_true", help="FFmpeg lavfi test picture + tone")
    rec.add_argument("--format", default="v4l2", help="FFmpeg input format (default v4l2)")
    rec.add_argument(
        "--option",
        type=_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="input option, e.g. video_size=1280x720 (repeatable)",
    )
    rec.add_argument("--segment-seconds", type=float, default=60.0)
    rec.add_argument("--prefix", default="dashcam", help="segment file name prefix")
    rec.add_argument("--seconds", type=float, default=None, help="stop after this much media time")
    rec.add_argument("--bitrate", type=int, default=2_000_000)
    rec.add_argument("--preset", default="veryfast", help="libx264 preset")
    rec.add_argument("--no-audio", action="store_true")
    rec.add_argument("--realtime", action="store_true", help="pace the test source to the wall clock")
    rec.add_argument("--size", default="320x240", help="test source picture size")
    rec.add_argument("--rate", type=int, default=15, help="test source frame rate")
    recover = sub.add_parser("recover", help="keep segments left open by a crash")
    recover.add_argument("out", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "recover":
        for segment in recover_partial_segments(args.out):
            _print(segment)
        return 0
    if args.test_source:
        width, _, height = args.size.partition("x")
        source, input_format, options = test_source(
            int(width), int(height), args.rate, audio=not args.no_audio, realtime=args.realtime
        )
    else:
        source, input_format, options = args.source, args.format, {}
    options.update(dict(args.option))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    recorder = UvcRecorder(
        source=source,
        input_format=input_format,
        options=options,
        out_dir=args.out,
        segment_seconds=args.segment_seconds,
        on_segment=_print,
        name_prefix=args.prefix,
        stop=stop,
        bitrate=args.bitrate,
        preset=args.preset,
        audio=not args.no_audio,
        max_seconds=args.seconds,
    )
    recorder.start()
    while recorder.is_alive():
        recorder.join(0.5)  # the main thread must stay free to take signals
    print(f"capture ended: {recorder.end_reason}", file=sys.stderr)
    return 1 if recorder.error else 0


if __name__ == "__main__":
    sys.exit(main())
