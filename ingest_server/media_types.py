"""What an original is, decided by the server from its own bytes: a short whitelist
of video containers, each recognised by its leading bytes.

A device says what it uploads (a file name, a container name from its probe),
but a device can be stolen or broken, so neither is trusted for how a browser
will treat the bytes. The server reads the first bytes of the stored object
(`HEAD_BYTES`), and only a container on the whitelist below is ever served with
a media type of its own; everything else is refused at completion. Only the
first bytes are looked at, never the whole file: a truncated recording (a camera
pulled mid-write) still starts like its container and is still evidence.

Magic numbers rather than a demuxer: parsing untrusted media on the server is
exactly the attack surface this check exists to avoid, and a header check is
all a browser's own sniffing would use.
"""

from __future__ import annotations

from dataclasses import dataclass

# Sent with every original's bytes, streamed or downloaded, console, review or API: the browser
# must not guess a type, and even if it renders something the document has no origin to act in.
ORIGINAL_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
MIN_SNIFF_BYTES = 8  # the shortest signature (an ISO BMFF box header)
HEAD_BYTES = 512  # enough for every signature below (MPEG-TS needs three packets of 188)


@dataclass(frozen=True)
class Container:
    name: str  # stable name, stored with the clip
    media_type: str  # what the server sends as Content-Type
    description: str


ISO_BMFF = Container("iso-bmff", "video/mp4", "ISO base media (MP4, MOV, 3GP)")
MPEG_TS = Container("mpeg-ts", "video/mp2t", "MPEG transport stream")
MATROSKA = Container("matroska", "video/x-matroska", "Matroska / WebM")
AVI = Container("avi", "video/x-msvideo", "AVI (RIFF)")
WHITELIST = (ISO_BMFF, MPEG_TS, MATROSKA, AVI)
BY_NAME = {c.name: c for c in WHITELIST}
# The box types an ISO BMFF file may start with: a camera writes ftyp first; fragmented or
# older QuickTime files may open with one of the others.
_ISO_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"styp", b"pnot"}


def _iso_bmff(head: bytes) -> bool:
    if len(head) < 8 or head[4:8] not in _ISO_FIRST_BOXES:
        return False
    size = int.from_bytes(head[0:4], "big")
    return size in (0, 1) or size >= 8  # 0: to end of file, 1: 64-bit size follows


def _mpeg_ts(head: bytes) -> bool:
    packets = [head[i] for i in range(0, min(len(head), 3 * 188), 188)]
    return len(packets) >= 2 and all(b == 0x47 for b in packets)


def sniff(head: bytes) -> Container | None:
    """The whitelisted container `head` (the object's first bytes) starts like, or None."""
    if _iso_bmff(head):
        return ISO_BMFF
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return MATROSKA
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return AVI
    if _mpeg_ts(head):
        return MPEG_TS
    return None


def media_type_of(name: str | None) -> str:
    """The Content-Type for a stored container name; anything unknown is opaque bytes."""
    container = BY_NAME.get(name or "")
    return container.media_type if container else "application/octet-stream"


def refusal(head: bytes, allowed: frozenset[str] | set[str]) -> str | None:
    """Why bytes starting with `head` are not accepted as an original, or None when they are.

    An object shorter than the shortest signature (a recording cut off in its first bytes)
    cannot be recognised and cannot hold a page either: it is accepted, and served only as
    opaque bytes (its container stays unknown)."""
    if len(head) < MIN_SNIFF_BYTES:
        return None
    container = sniff(head)
    if container is None:
        shown = head[:16].hex(" ")
        return (
            f"the uploaded bytes are not a video container this server accepts "
            f"(first bytes: {shown or 'none'}); accepted: "
            + ", ".join(c.description for c in WHITELIST if c.name in allowed)
        )
    if container.name not in allowed:
        return f"the uploaded bytes are {container.description}, which this server does not accept"
    return None
