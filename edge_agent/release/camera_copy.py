"""Releasing a camera's copy of a clip: the only code that may delete or move it.

`release` acts only when everything still proves the server holds these exact
bytes: the signed receipt verifies with the pinned key and names the clip's
sha256 and size; the volume is the same device; the file on it is a regular
file with the size and mtime it had at offload; its first and last parts (the
whole file, when the profile asks) re-hash to the manifest. Then it deletes,
keeps or moves the file as the profile says, fsyncs the directories, and
journals RECEIPTED -> RELEASED with the action and reason. Any failed check
leaves the file alone and says why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from edge_agent.core.clip_state import ClipState
from edge_agent.core.journal import ClipRow, Journal
from edge_agent.core.receipts import ReceiptError, verify_receipt
from hashing import fsync_dir, hash_file
from hashing.parts import part_count, part_range

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReleaseOutcome:
    released: bool
    action: str  # "delete", "keep", "move" or "refused"
    reason: str


class NotProven(Exception):
    """A check failed: the camera copy must stay."""


def _source_path(volume_root: Path, row: ClipRow) -> Path:
    rel = os.fsdecode(row.relpath_bytes) if row.relpath_bytes else row.relpath
    path = Path(volume_root) / rel
    if not os.path.realpath(path).startswith(os.path.realpath(volume_root) + os.sep):
        raise NotProven(f"{rel!r} resolves outside the volume")
    return path


def _part_sha256(path: Path, number: int, size: int, part_size: int) -> str:
    start, end = part_range(number, size, part_size)
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        fh.seek(start)
        left = end - start
        while left:
            chunk = fh.read(min(left, 4 * 1024 * 1024))
            if not chunk:
                raise NotProven(f"{path}: shorter than at offload")
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def check_release(row: ClipRow, *, volume_root: Path, serial_key: str, key, full_rehash: bool) -> Path:
    """Every proof release needs; returns the camera file's path or raises NotProven."""
    if row.state != ClipState.RECEIPTED or not row.receipt_json:
        raise NotProven(f"clip is {row.state}, not RECEIPTED")
    manifest = row.manifest
    try:
        verify_receipt(
            json.loads(row.receipt_json),
            key,
            clip_id=row.server_clip_id,
            sha256=row.sha256,
            size=manifest["size"],
        )
    except ReceiptError as exc:
        raise NotProven(f"receipt does not prove the upload: {exc}") from exc
    if serial_key != row.device_serial:
        raise NotProven(f"docked device is {serial_key!r}, the clip came from {row.device_serial!r}")
    path = _source_path(volume_root, row)
    try:
        st = os.lstat(path)
    except FileNotFoundError as exc:
        raise NotProven(f"{path}: no longer on the camera") from exc
    if not stat.S_ISREG(st.st_mode):
        raise NotProven(f"{path}: not a regular file any more")
    if (st.st_size, st.st_mtime_ns) != (row.size, row.mtime_ns):
        raise NotProven(
            f"{path}: changed since offload (size {row.size} -> {st.st_size}, "
            f"mtime_ns {row.mtime_ns} -> {st.st_mtime_ns})"
        )
    size, part_size, parts = manifest["size"], manifest["part_size"], manifest["parts"]
    if full_rehash:
        digest = hash_file(path, part_size)
        if digest.sha256 != row.sha256:
            raise NotProven(f"{path}: re-hash {digest.sha256} differs from offload {row.sha256}")
    else:
        last = part_count(size, part_size)
        for number in sorted({1, last}):
            got = _part_sha256(path, number, size, part_size)
            if got != parts[number - 1]:
                raise NotProven(f"{path}: part {number} re-hashes to {got}, offload had {parts[number - 1]}")
    return path


def release(
    journal: Journal,
    row: ClipRow,
    *,
    volume_root: Path,
    serial_key: str,
    key,
    profile,
    now=lambda: datetime.now(UTC),
) -> ReleaseOutcome:
    """Apply the profile's release to one receipted clip, after `check_release`."""
    try:
        path = check_release(
            row,
            volume_root=volume_root,
            serial_key=serial_key,
            key=key,
            full_rehash=bool(getattr(profile, "release_full_rehash", False)),
        )
    except (NotProven, OSError) as exc:
        reason = f"camera copy kept: {exc}"
        journal.record_event("release_refused", f"clip {row.id}: {reason}", row.relpath)
        log.warning("clip %s: %s", row.id, reason)
        return ReleaseOutcome(False, "refused", reason)
    action = getattr(profile, "release", "keep")
    receipt_note = f"receipt for sha256 {row.sha256} from server clip {row.server_clip_id}"
    if action == "delete":
        os.unlink(path)
        fsync_dir(path.parent)
        reason = f"deleted from camera after {receipt_note}"
    elif action == "move":
        target_dir = Path(volume_root) / profile.release_move_to / path.parent.relative_to(volume_root)
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / path.name
        if target.exists():
            target = target_dir / f"{row.sha256[:12]}-{path.name}"
        os.rename(path, target)
        fsync_dir(target_dir)
        fsync_dir(path.parent)
        reason = f"moved on camera to {target.relative_to(volume_root)} after {receipt_note}"
    else:
        action = "keep"
        reason = f"kept on camera (profile says keep); {receipt_note}"
    journal.transition(
        row.id,
        ClipState.RECEIPTED,
        ClipState.RELEASED,
        released_at=now().isoformat(),
        release_action=f"{action}: {reason}",
    )
    journal.record_event("released", f"clip {row.id}: {reason}", row.relpath)
    log.info("clip %s released: %s", row.id, reason)
    return ReleaseOutcome(True, action, reason)
