"""`evidence-hash`: digests and manifests from the command line.

    evidence-hash FILE [--part-size BYTES] [--manifest OUT] [--json]
    evidence-hash verify FILE MANIFEST

`verify` exits 0 when the file matches, 1 on a mismatch (the bad part numbers
are printed), 2 on an error (missing file, malformed manifest).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from hashing.errors import HashingError
from hashing.manifest import Manifest, load
from hashing.parts import part_size_for
from hashing.pipeline import hash_file
from hashing.progress import ProgressBar
from hashing.verify import verify_file

EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2
_BAR_THRESHOLD = 64 * 1024 * 1024


def _progress_for(path: str) -> ProgressBar | None:
    try:
        size = os.path.getsize(path)
    except OSError:
        return None
    bar = ProgressBar(size, os.path.basename(path)[:30])
    return bar if bar.enabled and size >= _BAR_THRESHOLD else None


def _run_hash(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="evidence-hash",
        description="Whole-file SHA-256, per-part SHA-256 and S3 composite checksum in one read. "
        "Use 'evidence-hash verify FILE MANIFEST' to check a file.",
    )
    parser.add_argument("file")
    parser.add_argument(
        "--part-size",
        type=int,
        default=None,
        metavar="BYTES",
        help="part size in bytes (default: 8 MiB, grown for files over 10,000 parts)",
    )
    parser.add_argument("--manifest", metavar="OUT", help="write the manifest (canonical JSON) here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        if args.part_size is not None:
            part_size_for(0, args.part_size)  # validates the S3 limits
        bar = _progress_for(args.file)
        try:
            digest = hash_file(args.file, args.part_size, progress=bar)
        finally:
            if bar:
                bar.close()
        if args.manifest:
            text = Manifest.from_digest(digest).dumps()
            with open(args.manifest, "x", encoding="ascii") as fh:
                fh.write(text + "\n")
    except (HashingError, OSError, ValueError) as exc:
        print(f"evidence-hash: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(digest.as_dict()))
    else:
        print(f"{digest.sha256}  {args.file}")
        print(
            f"size {digest.size}, {len(digest.parts)} part(s) of {digest.part_size}, "
            f"s3 composite {digest.s3_composite}"
        )
    return EXIT_OK


def _run_verify(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="evidence-hash verify", description="Check FILE against MANIFEST.")
    parser.add_argument("file")
    parser.add_argument("manifest")
    args = parser.parse_args(argv)
    try:
        manifest = load(args.manifest)
        bar = _progress_for(args.file)
        try:
            result = verify_file(args.file, manifest, progress=bar)
        finally:
            if bar:
                bar.close()
    except (HashingError, OSError) as exc:
        print(f"evidence-hash: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"{args.file}: {result.describe()}")
    return EXIT_OK if result.ok else EXIT_MISMATCH


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # 'verify' is a subcommand only with its two operands; a file called 'verify' still hashes.
    if len(argv) >= 3 and argv[0] == "verify" and not argv[1].startswith("-"):
        return _run_verify(argv[1:])
    try:
        return _run_hash(argv)
    except SystemExit as exc:  # argparse: usage errors are exit 2
        return int(exc.code or 0)


if __name__ == "__main__":
    sys.exit(main())
