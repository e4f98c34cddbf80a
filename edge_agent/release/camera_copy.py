"""Releasing a camera's copy of a clip: the only code that may delete or move it.

`release` acts only when everything still proves the server holds these exact
bytes: the signed receipt verifies with the pinned key and names the clip's
sha256 and size; the volume is the same device; the file on it is a regular
file with the size and mtime it had at offload; its first and last parts (the
whole file, when the profile asks) re-hash to the manifest. Then it deletes,
keeps or moves the file as the profile says, fsyncs the directories, and
journals RECEIPTED -> RELEASED with the action and reason. Any failed check
leaves the file alone and says why, once: the same refusal again is not journaled
again (it stays in the clip's `error` for the status).

Before it deletes or moves the file, `release` journals its intent (the action,
the path, the move target). An agent killed between the delete and the RELEASED
commit finds the intent at the next release: the camera copy is gone (or sits at
the move target) because this agent removed it after every check passed, so the
clip is finished RELEASED, saying so, instead of waiting for a file that will
never come back.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from edge_agent.core.clip_state import ClipState
from edge_agent.core.custody import Kind
from edge_agent.core.journal import ClipRow, Journal, now_iso
from edge_agent.core.profile import VolumeProfile
from edge_agent.core.receipts import ReceiptError, verify_receipt
from hashing import fsync_dir, verify_file, verify_range
from hashing.manifest import loads as manifest_from_json
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


def check_release(row: ClipRow, *, volume_root: Path, serial_key: str, key, full_rehash: bool) -> Path:
    """Every proof release needs; returns the camera file's path or raises NotProven."""
    if row.state != ClipState.RECEIPTED or not row.receipt_json:
        raise NotProven(f"clip is {row.state}, not RECEIPTED")
    try:
        verify_receipt(
            json.loads(row.receipt_json),
            key,
            clip_id=row.server_clip_id,
            sha256=row.sha256,
            size=row.manifest["size"],
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
    manifest = manifest_from_json(row.manifest_json)
    if full_rehash:
        check = verify_file(path, manifest)
        if not check.ok:
            raise NotProven(f"{path}: re-hash differs from offload ({check.describe()})")
    else:
        for number in sorted({1, part_count(manifest.size, manifest.part_size)}):
            start, end = part_range(number, manifest.size, manifest.part_size)
            with open(path, "rb", buffering=0) as fh:
                fh.seek(start)
                check = verify_range(fh, manifest, start, end)
            if not check.ok:
                raise NotProven(
                    f"{path}: part {number} re-hashes differently from offload, which had "
                    f"{manifest.parts[number - 1]} ({check.describe()})"
                )
    return path


def _refuse(journal: Journal, row: ClipRow, reason: str) -> ReleaseOutcome:
    """Keep the camera copy; journal the reason only when it is news for this clip."""
    if row.error != reason:
        journal.transition(row.id, row.state, row.state, error=reason)
        journal.custody_log.add(row.id, [(Kind.RELEASE_REFUSED, now_iso(), {"reason": reason})])
        journal.record_event("release_refused", f"clip {row.id}: {reason}", row.relpath)
        log.warning("clip %s: %s", row.id, reason)
    return ReleaseOutcome(False, "refused", reason)


def _finish_interrupted(
    journal: Journal, row: ClipRow, *, volume_root: Path, serial_key: str, key, now
) -> ReleaseOutcome | None:
    """A release journaled its intent and the agent stopped before RELEASED: finish it if it was done.

    None when there is nothing to finish (no intent, or the camera file is still there,
    i.e. the agent stopped before touching it: the normal checks run again)."""
    if not row.release_intent_json or row.state != ClipState.RECEIPTED:
        return None
    intent = json.loads(row.release_intent_json)
    path = Path(volume_root) / intent["relpath"]
    if os.path.lexists(path):
        return None
    target = Path(volume_root) / intent["target"] if intent.get("target") else None
    if intent["action"] == "move" and (target is None or not target.is_file()):
        return None  # neither at the source nor at the target: not ours to explain
    if serial_key != row.device_serial:
        return None
    try:
        verify_receipt(
            json.loads(row.receipt_json or "{}"),
            key,
            clip_id=row.server_clip_id,
            sha256=row.sha256,
            size=row.manifest["size"],
        )
    except ReceiptError:
        return None
    done = "deleted from camera" if intent["action"] == "delete" else f"moved on camera to {intent['target']}"
    reason = (
        f"{done} by this agent before it stopped (intent journaled at {intent['at']}, after every "
        f"check passed; receipt for sha256 {row.sha256} from server clip {row.server_clip_id})"
    )
    journal.transition(
        row.id,
        ClipState.RECEIPTED,
        ClipState.RELEASED,
        released_at=now().isoformat(),
        release_action=f"{intent['action']}: {reason}",
        error=None,
    )
    journal.record_event("released", f"clip {row.id}: {reason}", row.relpath)
    log.info("clip %s released (finished after a restart): %s", row.id, reason)
    return ReleaseOutcome(True, intent["action"], reason)


def _journal_intent(
    journal: Journal, row: ClipRow, *, action: str, path: Path, target, volume_root, now
) -> None:
    intent = {
        "action": action,
        "relpath": os.fsdecode(path.relative_to(volume_root)),
        "target": None if target is None else os.fsdecode(target.relative_to(volume_root)),
        "at": now().isoformat(),
    }
    journal.transition(row.id, ClipState.RECEIPTED, ClipState.RECEIPTED, release_intent_json=intent)


def release(
    journal: Journal,
    row: ClipRow,
    *,
    volume_root: Path,
    serial_key: str,
    key,
    profile: VolumeProfile,
    now=lambda: datetime.now(UTC),
) -> ReleaseOutcome:
    """Apply the profile's release to one receipted clip, after `check_release`."""
    finished = _finish_interrupted(
        journal, row, volume_root=volume_root, serial_key=serial_key, key=key, now=now
    )
    if finished is not None:
        return finished
    try:
        path = check_release(
            row,
            volume_root=volume_root,
            serial_key=serial_key,
            key=key,
            full_rehash=profile.release_full_rehash,
        )
    except (NotProven, OSError) as exc:
        return _refuse(journal, row, f"camera copy kept: {exc}")
    action = profile.release  # read directly: a profile without `release` is an error, never "keep"
    receipt_note = f"receipt for sha256 {row.sha256} from server clip {row.server_clip_id}"
    if action == "delete":
        _journal_intent(journal, row, action=action, path=path, target=None, volume_root=volume_root, now=now)
        os.unlink(path)
        fsync_dir(path.parent)
        reason = f"deleted from camera after {receipt_note}"
    elif action == "move":
        if not profile.release_move_to:
            raise ValueError(f"profile {profile.name!r}: release 'move' without release_move_to")
        target_dir = Path(volume_root) / profile.release_move_to / path.parent.relative_to(volume_root)
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / path.name
        if target.exists():
            target = target_dir / f"{row.sha256[:12]}-{path.name}"
        _journal_intent(
            journal, row, action=action, path=path, target=target, volume_root=volume_root, now=now
        )
        os.rename(path, target)
        fsync_dir(target_dir)
        fsync_dir(path.parent)
        reason = f"moved on camera to {target.relative_to(volume_root)} after {receipt_note}"
    elif action == "keep":
        reason = f"kept on camera (profile says keep); {receipt_note}"
    else:
        raise ValueError(f"profile {profile.name!r}: release {action!r} is not 'delete', 'keep' or 'move'")
    journal.transition(
        row.id,
        ClipState.RECEIPTED,
        ClipState.RELEASED,
        released_at=now().isoformat(),
        release_action=f"{action}: {reason}",
        error=None,
    )
    journal.record_event("released", f"clip {row.id}: {reason}", row.relpath)
    log.info("clip %s released: %s", row.id, reason)
    return ReleaseOutcome(True, action, reason)
