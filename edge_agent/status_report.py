"""`evidence-agent status`: one readable picture of the agent, from the journal and status.json.

The journal gives what is durable (clips per state, quarantined clips with their
reasons, clips waiting for a retry with their last error, recent events: skipped
symlinks and special files, volumes removed mid-copy, truncated clips, a full
spool); `status.json`, saved by the running agent (or the last manual offload),
gives what is live (docked volumes, the clip being copied, bytes per second,
paused-for-full-spool). `build_status` is pure data; `render` is the text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from edge_agent.core.clip_state import ClipState
from edge_agent.core.journal import Journal
from edge_agent.core.live_status import load_saved

ATTENTION = (
    "skipped",
    "source",
    "spool",
    "spool_full",
    "truncated",
    "unplayable",
    "quarantined",
    "unclaimed",
    "orphan",
    "error",
    "recovered",
)


SHOWN = 10  # clips listed per section (quarantined, retrying, flagged); the rest are counted
VOLUMES_SHOWN = 8  # volumes listed (docked first, then the latest detached)


def _bounded(items: list, limit: int = SHOWN) -> tuple[list, int]:
    return items[:limit], len(items)


def build_status(spool_dir: Path, events: int = 20, live: dict | None = None) -> dict:
    """The status as data, bounded in size whatever the journal holds: each list keeps its first
    `SHOWN` entries and says how many there are in all (`<name>_total`)."""
    spool_dir = Path(spool_dir)
    live = live if live is not None else (load_saved(spool_dir) or {})  # the running agent's own, if given
    journal_path = spool_dir / "journal.sqlite"
    if not journal_path.exists():
        return {
            "spool": str(spool_dir),
            "journal": None,
            "live": live,
            "message": f"no journal at {journal_path}: the agent has not run with this spool",
        }
    with Journal(journal_path) as journal:
        retrying = [
            {
                "id": r.id,
                "relpath": r.relpath,
                "device": r.device_serial,
                "attempts": r.attempts,
                "error": r.error,
            }
            for r in journal.waiting(ClipState.DISCOVERED)
            if r.attempts
        ]
        flagged = [
            {"id": r.id, "relpath": r.relpath, "flags": r.flags, "sha256": r.sha256}
            for r in journal.clips()
            if set(r.flags) & {"truncated", "unplayable", "partial_segment"}
        ]
        quarantined, quarantined_total = _bounded(
            [
                {"id": r.id, "relpath": r.relpath, "reason": r.quarantine_reason}
                for r in journal.clips(ClipState.QUARANTINED)
            ]
        )
        retrying, retrying_total = _bounded(retrying)
        flagged, flagged_total = _bounded(flagged)
        all_volumes = live.get("volumes", [])
        docked = [v for v in all_volumes if v.get("state") != "detached"]
        away = [v for v in all_volumes if v.get("state") == "detached"]
        volumes = (docked + away[::-1])[:VOLUMES_SHOWN]
        return {
            "spool": str(spool_dir),
            "counts": journal.counts(),
            "docked": docked,
            "volumes": volumes,
            "volumes_total": len(all_volumes),
            "current": live.get("current"),
            "bytes_per_second": live.get("bytes_per_second", 0.0),
            "paused": live.get("paused"),
            "quarantined": quarantined,
            "quarantined_total": quarantined_total,
            "retrying": retrying,
            "retrying_total": retrying_total,
            "flagged": flagged,
            "flagged_total": flagged_total,
            "events": journal.events(events, kinds=ATTENTION),
            "uvc": live.get("uvc", {}),
            "upload": live.get("upload"),
            "threads": live.get("threads", {}),
            "oldest_unreceipted": _oldest_unreceipted(journal),
            "agent": {k: live.get(k) for k in ("pid", "started_at", "saved_at")},
        }


def _oldest_unreceipted(journal: Journal) -> dict | None:
    pending = journal.waiting(
        ClipState.DISCOVERED, ClipState.SPOOLED, ClipState.REGISTERED, ClipState.UPLOADED
    )
    oldest = min(pending, key=lambda r: r.created_at, default=None)
    if oldest is None:
        return None
    age = (datetime.now(UTC) - datetime.fromisoformat(oldest.created_at)).total_seconds()
    return {
        "id": oldest.id,
        "relpath": oldest.relpath,
        "state": oldest.state,
        "since": oldest.created_at,
        "age_seconds": round(age, 1),
        "last_error": oldest.error,
    }


def render(status: dict) -> str:
    if status.get("message"):
        return status["message"]
    lines = [f"spool {status['spool']}"]
    if status["paused"]:
        lines.append(f"OFFLOAD PAUSED: {status['paused']}")
    for name, t in sorted(status.get("threads", {}).items()):
        if t["state"] != "running":
            lines.append(
                f"{name} {t['state'].upper()}: {t.get('reason') or ''} (since {t['since']})".rstrip()
            )
    counts = ", ".join(f"{k} {v}" for k, v in status["counts"].items() if v) or "no clips yet"
    lines.append(f"clips: {counts}")
    lines.append(f"rate: {status['bytes_per_second'] / 1e6:.1f} MB/s")
    up = status.get("upload")
    if up:
        limit = f"{up['bandwidth_limit_bps'] / 1e6:.1f} MB/s" if up.get("bandwidth_limit_bps") else "none"
        lines.append(
            f"upload to {up['server']}: {up['bytes_per_second'] / 1e6:.1f} MB/s, "
            f"{up['bytes_sent'] / 1e6:.1f} MB sent, bandwidth limit {limit}"
        )
    old = status.get("oldest_unreceipted")
    if old:
        lines.append(
            f"oldest unreceipted clip: {old['id']} {old['relpath']!r} ({old['state']}) "
            f"for {old['age_seconds'] / 60:.1f} min"
            + (f", last error: {old['last_error']}" if old.get("last_error") else "")
        )
    if status["current"]:
        c = status["current"]
        lines.append(f"copying: {c['relpath']} {c['done']}/{c['total']} bytes")
    for v in status["volumes"]:
        lines.append(
            f"volume {v['root']}: {v.get('state')} profile={v.get('profile')} "
            f"serial={v.get('device_serial')} clock offset={v.get('clock_offset_seconds')} s"
        )
        if v.get("note"):
            lines.append(f"  {v['note']}")
        shown_skips = v.get("skipped", [])[:SHOWN]
        for s in shown_skips:
            lines.append(f"  skipped {s['relpath']!r}: {s['reason']}")
        if v.get("skipped_total", 0) > len(shown_skips):
            lines.append(f"  ... and {v['skipped_total'] - len(shown_skips)} more skipped")
    _more(lines, status.get("volumes_total", 0), len(status["volumes"]), "volume(s)")
    for q in status["quarantined"]:
        lines.append(f"QUARANTINED clip {q['id']} {q['relpath']!r}: {q['reason']}")
    _more(lines, status.get("quarantined_total", 0), len(status["quarantined"]), "quarantined clip(s)")
    for r in status["retrying"]:
        lines.append(
            f"waiting to retry clip {r['id']} {r['relpath']!r} ({r['attempts']} attempts): {r['error']}"
        )
    _more(lines, status.get("retrying_total", 0), len(status["retrying"]), "clip(s) waiting to retry")
    for f in status["flagged"]:
        lines.append(
            f"flagged clip {f['id']} {f['relpath']!r}: {', '.join(f['flags'])} (sha256 {f['sha256']})"
        )
    _more(lines, status.get("flagged_total", 0), len(status["flagged"]), "flagged clip(s)")
    for name, u in status["uvc"].items():
        lines.append(f"uvc {name}: {u}")
    if status["events"]:
        lines.append("recent events:")
        for e in status["events"]:
            where = f" [{e['path']!r}]" if e["path"] else ""
            lines.append(f"  {e['at']} {e['kind']}: {e['message']}{where}")
    return "\n".join(lines)


def _more(lines: list[str], total: int, shown: int, what: str) -> None:
    if total > shown:
        lines.append(f"  ... and {total - shown} more {what}")
