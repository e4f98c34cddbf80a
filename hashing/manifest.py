"""Evidence manifests: the digests of one file as versioned, canonical JSON.

A manifest travels with its clip from the car to the courtroom. Canonical form
(sorted keys, no spaces, ASCII) makes two manifests of the same bytes equal byte
for byte. `load` checks everything a manifest claims that can be checked without
the file: field types, hex digests, the part count for the size, and the S3
composite recomputed from the parts.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from hashing.digest import Digest, composite_checksum
from hashing.errors import ManifestError
from hashing.parts import part_count

VERSION = 1
ALGORITHM = "sha256"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_FIELDS = {"version", "algorithm", "size", "sha256", "part_size", "parts", "composite"}


@dataclass(frozen=True)
class Manifest:
    size: int
    sha256: str
    part_size: int
    parts: tuple[str, ...]
    composite: str
    version: int = VERSION
    algorithm: str = ALGORITHM

    @classmethod
    def from_digest(cls, digest: Digest) -> Manifest:
        return cls(
            size=digest.size,
            sha256=digest.sha256,
            part_size=digest.part_size,
            parts=tuple(digest.parts),
            composite=digest.s3_composite,
        )

    def as_dict(self) -> dict:
        return {
            "version": self.version,
            "algorithm": self.algorithm,
            "size": self.size,
            "sha256": self.sha256,
            "part_size": self.part_size,
            "parts": list(self.parts),
            "composite": self.composite,
        }

    def dumps(self) -> str:
        return dumps(self)


def dumps(manifest: Manifest) -> str:
    """Canonical JSON of a manifest (one line, sorted keys)."""
    validate(manifest.as_dict())
    return json.dumps(manifest.as_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def loads(text: str | bytes) -> Manifest:
    """Parse and validate a manifest; raises `ManifestError` saying what is wrong."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestError(f"manifest is not valid JSON: {exc}") from exc
    return from_dict(data)


def from_dict(data: Any) -> Manifest:
    validate(data)
    return Manifest(
        size=data["size"],
        sha256=data["sha256"],
        part_size=data["part_size"],
        parts=tuple(data["parts"]),
        composite=data["composite"],
        version=data["version"],
        algorithm=data["algorithm"],
    )


def load(path: str | os.PathLike[str]) -> Manifest:
    try:
        with open(path, "rb") as fh:
            text = fh.read()
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc}") from exc
    return loads(text)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate(data: object) -> None:
    if not isinstance(data, dict):
        raise ManifestError("manifest must be a JSON object")
    missing = _FIELDS - data.keys()
    if missing:
        raise ManifestError(f"manifest lacks field(s): {', '.join(sorted(missing))}")
    extra = data.keys() - _FIELDS
    if extra:
        raise ManifestError(f"manifest has unknown field(s): {', '.join(sorted(extra))}")
    if data["version"] != VERSION:
        raise ManifestError(f"manifest version {data['version']!r} is not supported (want {VERSION})")
    if data["algorithm"] != ALGORITHM:
        raise ManifestError(f"manifest algorithm {data['algorithm']!r} is not supported")
    if not _is_int(data["size"]) or data["size"] < 0:
        raise ManifestError(f"size must be a non-negative integer, got {data['size']!r}")
    if not _is_int(data["part_size"]) or data["part_size"] <= 0:
        raise ManifestError(f"part_size must be a positive integer, got {data['part_size']!r}")
    if not isinstance(data["sha256"], str) or not _HEX64.match(data["sha256"]):
        raise ManifestError("sha256 must be 64 lowercase hex digits")
    parts = data["parts"]
    if not isinstance(parts, list) or not all(isinstance(p, str) and _HEX64.match(p) for p in parts):
        raise ManifestError("parts must be a list of 64-hex-digit SHA-256 values")
    expected = part_count(data["size"], data["part_size"])
    if len(parts) != expected:
        raise ManifestError(
            f"{len(parts)} parts listed, but {data['size']} bytes in parts of "
            f"{data['part_size']} make {expected}"
        )
    composite = composite_checksum([bytes.fromhex(p) for p in parts])
    if data["composite"] != composite:
        raise ManifestError(
            f"composite {data['composite']!r} does not match its parts (expected {composite!r})"
        )
