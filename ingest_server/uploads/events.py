"""The audit record of a step in a clip's upload: the device acts on the clip."""

from __future__ import annotations

from ingest_server.audit import service as audit


def clip_event(*, session, device, clip, event_type: str, outcome: str, source, detail: dict) -> None:
    audit.append(
        session=session,
        component="uploads",
        event_type=event_type,
        actor=device.label,
        outcome=outcome,
        object_type="clip",
        object_id=clip.id,
        source=source,
        detail=detail,
    )
