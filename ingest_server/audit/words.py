"""Audit events in plain words, for the people who read a chain of custody.

`in_words(event)` turns one event (an AuditEvent row, or a dict with its fields)
into a sentence a clerk or a juror can follow: "Stored under Object Lock and
receipt signed (SHA-256 …)", "Viewed by ADA Jane Roe through share 3f2a…".
The event type and the full hash stay beside it in every report, so nothing is
hidden by the translation. Pure: no database, no clock.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

# What each kind of event means; {placeholders} are filled from the event's detail and actor.
SENTENCES = {
    "clip.registered": "Registered for upload by {who} ({size} bytes, SHA-256 {sha256})",
    "clip.assembled": "Upload parts assembled in the evidence store",
    "clip.stored": "Stored in the evidence store under Object Lock ({lock_mode} until {retain_until}), "
    "SHA-256 checked, receipt signed (key {key_id})",
    "clip.rejected": "Upload refused: {reason}",
    "clip.related_declared": "Sidecar files declared for upload by {who}",
    "clip.related_rejected": "Sidecar upload refused: the store lacked a file or held other bytes",
    "clip.related_downloaded": "Sidecar file {name} downloaded by {who} (SHA-256 {sha256})",
    "clip.shared": "Shared with {recipient} (share {share_id}) by {who}",
    "clip.exported": "Copied into court package {package} as {file} by {who}",
    "clip.deleted": "Original deleted at the end of its retention by {who}",
    "clip.category_changed": "Category changed by {who}",
    "share.viewed": "Review page opened by {recipient} through share {share_id}",
    "share.clip_played": "Viewed by {recipient} through share {share_id}",
    "share.clip_downloaded": "Original downloaded by {recipient} through share {share_id}",
    "share.download_refused": "Download refused to {recipient} through share {share_id}",
    "share.refused": "Share link refused ({reason})",
    "share.created": "Share link created for {recipient} by {who}",
    "share.revoked": "Share link revoked by {who}",
    "export.created": "Court package {package} written by {who}",
    "hold.placed": "Legal hold placed by {who}",
    "hold.released": "Legal hold released by {who}",
    "link.created": "Linked to a use-of-force report by {who}",
    "link.removed": "Unlinked from a use-of-force report by {who}",
    "retention.applied": "Retention decided: keep until {retain_until}",
    "fixity.run": "Re-read from the store and re-hashed (fixity check)",
    "fixity.mismatch": "Fixity check FAILED: the stored bytes no longer match the SHA-256",
    "audit.checkpoint": "Audit chain checkpoint signed and written to the evidence store",
    "agent.custody_refused": "Custody events from {who} refused by the server: {problems}",
}
# What the car did, in its own signed events (docs/custody_events.md); {at} is the car's clock.
AGENT = {
    "agent.docked": "Camera {camera_serial} docked in car {vehicle_id} at {at}",
    "agent.clock_read": "Camera clock read in car {vehicle_id} at {at}: "
    "camera clock offset {offset_seconds} s ±{uncertainty_seconds} s",
    "agent.copy_started": "Copy off camera {camera_serial} started in car {vehicle_id} at {at} ({relpath})",
    "agent.copy_finished": "Copied off the camera and hashed in car {vehicle_id} at {at}, SHA-256 {sha256}",
    "agent.segment_closed": "Recorded by the dashcam of car {vehicle_id}, segment closed and hashed at {at}, "
    "SHA-256 {sha256}",
    "agent.registered": "Registered with the server by car {vehicle_id} at {at}",
    "agent.receipt_received": "Server's signed receipt received and checked in car {vehicle_id} at {at}",
    "agent.upload_refused": "Upload refused by the server at {at}; car {vehicle_id} sends it again "
    "({reason})",
    "agent.camera_copy_deleted": "Camera copy deleted by car {vehicle_id} at {at}, after its receipt was "
    "checked ({reason})",
    "agent.camera_copy_moved": "Camera copy moved on the camera by car {vehicle_id} at {at} ({reason})",
    "agent.camera_copy_kept": "Camera copy kept on the camera by car {vehicle_id} at {at} ({reason})",
    "agent.release_refused": "Camera copy kept: car {vehicle_id} refused to release it at {at} ({reason})",
    "agent.quarantined": "Quarantined in car {vehicle_id} at {at}: {reason}",
}
# Requests the audit middleware records as api.<route>: what the person did.
ROUTES = {
    "api.clips.get": "Clip record read through the API by {who}",
    "api.clips.download": "Original downloaded through the API by {who}",
    "api.clips.search": "Clip search through the API by {who}",
    "portal.clip": "Clip page opened in the console by {who}",
    "portal.clip_stream": "Played in the console by {who}",
    "portal.clip_original": "Original downloaded from the console by {who}",
    "portal.clip_custody": "Custody report printed from the console by {who}",
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _who(actor: str) -> str:
    if actor.startswith("share:"):
        parts = actor.split(":", 2)
        return parts[2] if len(parts) == 3 else actor
    if actor.startswith("device:"):
        return f"device {actor[len('device:') :]}"
    return actor


def _field(event, name: str):
    return event[name] if isinstance(event, dict) else getattr(event, name)


def _car_time(at) -> str:
    try:
        moment = datetime.fromisoformat(str(at))
    except ValueError:
        return str(at)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC (car's clock)"


def _agent_sentence(template: str, detail: dict, who: str) -> str:
    """An event the car signed: its words come from the signed payload, not from the server."""
    payload = detail.get("payload") if isinstance(detail.get("payload"), dict) else {}
    details = payload.get("details") if isinstance(payload.get("details"), dict) else {}
    values = _Blank({k: v for k, v in {**payload, **details}.items() if v not in (None, "", [])})
    values.setdefault("vehicle_id", who)
    values["at"] = _car_time(payload.get("at"))
    if isinstance(values.get("offset_seconds"), int | float):
        values["offset_seconds"] = f"{values['offset_seconds']:+.3f}"
    return template.format_map(values) + "; signed by the car"


def in_words(event) -> str:
    """One sentence for `event`; the event type itself when it has no sentence yet."""
    event_type = _field(event, "event_type")
    try:
        detail = json.loads(_field(event, "detail") or "{}")
    except ValueError:
        detail = {}
    if not isinstance(detail, dict):
        detail = {}
    who = _who(_field(event, "actor") or "")
    if event_type in AGENT:
        return _agent_sentence(AGENT[event_type], detail, who)
    values = _Blank({k: v for k, v in detail.items() if v not in (None, "", [])})
    values.setdefault("who", who)
    if "recipient" not in values and who:
        values["recipient"] = who
    if "share_id" in values:
        values["share_id"] = str(values["share_id"])[:12] + "…"
    template = SENTENCES.get(event_type) or ROUTES.get(event_type)
    if event_type == "retention.applied" and "retain_until" not in values:
        # No end date: a hold, an open report or an indefinite category keeps it (the reasons say which).
        template = "Retention decided: kept with no end date ({reasons}); locked in the store until at least "
        template += "{store_retain_until}"
        values["reasons"] = "; ".join(map(str, detail.get("reasons") or [])) or "no reason recorded"
    if template is None:
        kind = "Console page" if event_type.startswith("portal.") else "Request"
        if event_type.startswith(("api.", "portal.", "review.")):
            sentence = f"{kind} {event_type.split('.', 1)[1].replace('_', ' ')} by {who}"
        else:
            sentence = event_type.replace(".", ": ").replace("_", " ").capitalize() + f" by {who}"
    else:
        sentence = template.format_map(values)
    outcome = _field(event, "outcome")
    if outcome and outcome != "success" and "refused" not in sentence.lower():
        sentence += f" ({outcome})"
    return sentence
