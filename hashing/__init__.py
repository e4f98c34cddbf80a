"""Streaming evidence hashing: one read gives the whole-file SHA-256, the SHA-256
of each part and the S3 composite checksum; copies are durable and refuse short
or changing sources. Standard library only (numpy allowed).
"""

from hashing.digest import Digest, StreamHasher, composite_checksum, digest_bytes, part_checksum_b64
from hashing.errors import (
    DestinationError,
    HashingError,
    ManifestError,
    ShortSourceError,
    SourceChangedError,
    SourceError,
    SourceGrewError,
    SourceUnreadableError,
    SourceVanishedError,
)
from hashing.manifest import Manifest
from hashing.parts import (
    DEFAULT_PART_SIZE,
    MAX_PARTS,
    MIB,
    MIN_PART_SIZE,
    part_count,
    part_range,
    part_size_for,
)
from hashing.pipeline import copy_and_hash, fsync_dir, hash_file
from hashing.sink import HashingWriter
from hashing.verify import Verification, verify_file, verify_range

__all__ = [
    "DEFAULT_PART_SIZE",
    "MAX_PARTS",
    "MIB",
    "MIN_PART_SIZE",
    "DestinationError",
    "Digest",
    "HashingError",
    "HashingWriter",
    "Manifest",
    "ManifestError",
    "ShortSourceError",
    "SourceChangedError",
    "SourceError",
    "SourceGrewError",
    "SourceUnreadableError",
    "SourceVanishedError",
    "StreamHasher",
    "Verification",
    "composite_checksum",
    "copy_and_hash",
    "digest_bytes",
    "fsync_dir",
    "hash_file",
    "part_checksum_b64",
    "part_count",
    "part_range",
    "part_size_for",
    "verify_file",
    "verify_range",
]
