"""Sending the car's signed custody events to the server, after each clip's receipt.

Each round (`UploadService.after_upload`), for every receipted or released clip
with events the server has not acknowledged: each event is sealed once (its
payload signed by the device key and stored in the journal, core/custody.py),
the clip's pending events are posted to `POST /api/v1/clips/{id}/custody-events`,
and what the server acknowledged is journaled as sent. Release events, recorded
after the receipt, go in a later round's post. A crash or power loss between the
post and the journal only re-sends the same sealed bytes; the server recognises
them. The device's public key is sent (`PUT /api/v1/devices/me/key`) once per
start before the first post; the server refuses a different key than the one it
holds, and then the events wait, journaled, until an administrator resets it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from edge_agent.core.clip_state import ClipState
from edge_agent.core.custody import PAYLOAD_FORMAT, CustodyEvent
from edge_agent.core.device_key import DeviceKey
from edge_agent.core.journal import ClipRow, Journal, now_iso
from edge_agent.upload.server_client import ServerError

log = logging.getLogger(__name__)
SENT_STATES = (ClipState.RECEIPTED, ClipState.RELEASED)


class CustodyClient(Protocol):
    def put_device_key(self, public_key_pem: str) -> dict: ...

    def post_custody_events(self, clip_id: str, events: list[dict]) -> dict: ...


def payload(row: ClipRow, event: CustodyEvent, *, key: DeviceKey, vehicle_id: str | None) -> dict:
    """What the device signs for one event (docs/custody_events.md, "The signed payload")."""
    return {
        "format": PAYLOAD_FORMAT,
        "seq": event.seq,
        "kind": event.kind,
        "at": event.at,
        "clip_sha256": row.sha256,
        "camera_serial": row.device_serial,
        "vehicle_id": vehicle_id,
        "key_fingerprint": key.fingerprint,
        "details": event.details,
    }


class CustodySender:
    def __init__(
        self,
        journal: Journal,
        client: Callable[[], CustodyClient],
        key: DeviceKey,
        *,
        vehicle_id: str | None,
    ):
        self.journal, self._client, self.key, self.vehicle_id = journal, client, key, vehicle_id
        self._key_sent = False
        self._reported: set[str] = set()  # each refusal journaled once, not every round

    def _report(self, kind: str, message: str) -> None:
        if message not in self._reported:
            self._reported.add(message)
            self.journal.record_event(kind, message)
            log.warning("%s", message)

    def send(self) -> int:
        """Post every pending event of receipted clips; returns how many the server acknowledged."""
        custody = self.journal.custody_log
        clips = custody.clips_with_unsent(SENT_STATES)
        if not clips:
            return 0
        try:
            if not self._key_sent:
                self._client().put_device_key(self.key.public_pem)
                self._key_sent = True
        except ServerError as exc:
            self._report("custody_waiting", f"custody events wait: the device key was not accepted: {exc}")
            return 0
        sent = 0
        for clip_id in clips:
            try:
                sent += self._send_clip(self.journal.get(clip_id))
            except ServerError as exc:
                self._report("custody_refused", f"clip {clip_id}: custody events not accepted: {exc}")
                if exc.retryable:
                    break  # the server or the network is down: the next round tries again
        return sent

    def _send_clip(self, row: ClipRow) -> int:
        custody = self.journal.custody_log
        for event in custody.events(row.id):
            if event.payload is None:
                body = payload(row, event, key=self.key, vehicle_id=self.vehicle_id)
                custody.seal(event.seq, body, self.key.sign(body))
        pending = [e for e in custody.events(row.id) if e.sent_at is None]
        if not pending or row.server_clip_id is None:
            return 0
        self._client().post_custody_events(
            row.server_clip_id, [{"payload": e.payload, "signature": e.signature} for e in pending]
        )
        custody.mark_sent((e.seq for e in pending), now_iso())
        return len(pending)
