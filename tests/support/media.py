"""Bytes that start like a video container, for tests that upload made-up clips.

The server accepts as an original only bytes it recognises as a whitelisted video
container (ingest_server/media_types.py). Tests that need many distinct clips
cheaply use random bytes behind a real ISO BMFF `ftyp` box, exactly what a camera
writes first; the rest need not decode.
"""

from __future__ import annotations

FTYP = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"  # a 24-byte ftyp box, as cameras write


def mp4_like(data: bytes) -> bytes:
    """`data` with its first bytes replaced by (the start of) an ftyp box; the length is kept."""
    return (FTYP + data[len(FTYP) :])[: len(data)]
