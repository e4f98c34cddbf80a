"""A clip's sidecars on the upload path: PUT from their spool copies to the presigned URLs the
server's register answer lists (`related`), each bound to its SHA-256, before the clip is
completed; and what to do when the completion refuses them (409 naming `related`).

A sidecar the store already holds (`present`) is not sent again. Bytes come from the spool
copy, never the camera. The receipt lists the sidecars it covers; only those spool copies
are removed later (release/spool_cleanup.py via core/sidecar_copies.py).
"""

from __future__ import annotations

from collections.abc import Callable

from edge_agent.core.journal import ClipRow
from edge_agent.core.sidecar_copies import copies
from hashing import hash_file

SMALL_PART = 8 * 1024 * 1024


def send_missing(row: ClipRow, reg: dict, put: Callable[[str, bytes, str], str], retry) -> int:
    """PUT every related file the store lacks; returns how many were sent. `put(url, body, checksum)`."""
    by_name = {c["relpath"]: c for c in copies(row)}
    sent = 0
    for item in reg.get("related") or []:
        if item.get("present") or not item.get("url"):
            continue
        copy = by_name.get(item["name"])
        if copy is None:  # declared by an earlier register of this clip with other sidecars
            continue
        with open(copy["spool_path"], "rb") as fh:
            body = fh.read()
        retry(
            lambda item=item, body=body: put(item["url"], body, item["checksum_sha256"]),
            f"clip {row.id} sidecar {item['name']}",
        )
        sent += 1
    return sent


def damaged_copies(row: ClipRow) -> list[str]:
    """The sidecar copies whose spool bytes no longer match the SHA-256 taken off the camera."""
    out = []
    for c in copies(row):
        try:
            actual = hash_file(c["spool_path"], SMALL_PART).sha256
        except OSError as exc:
            out.append(f"{c['relpath']}: unreadable ({exc})")
            continue
        if actual != c["sha256"]:
            out.append(f"{c['relpath']}: sha256 {actual}, taken off the camera as {c['sha256']}")
    return out
