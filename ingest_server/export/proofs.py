"""What lets a court package prove itself, without the system that made it.

`write(...)` adds to the bag's data/ folder (so the BagIt manifest covers them):

    data/custody/<file>.custody.json   per clip: the index facts, the manifest as registered, the signed
                                       receipt, every sighting (each source of the bytes), every audit event
                                       of the clip with every hashed field, and its related files
                                       (sidecars: name, path, size, sha256)
    data/custody/chain.txt             the audit chain from the clip's first event to the checkpoint:
                                       "seq prev_hash hash owner" per event, owner = the package file the
                                       event is about, "-" for events of other objects (hashes only)
    data/custody/checkpoints.json      the signed checkpoint of the chain head written for this export
    data/custody/receipt-key.pem       the server's public key (Ed25519) for receipts and checkpoints
    data/custody/device-keys.json      the public keys (Ed25519) of the cars whose signed custody events
                                       are in the package, by fingerprint (agent_custody/, devices/keys.py)
    data/custody/verify_package.py     the checker (standard-library Python), see its docstring

Deleting an event from a clip's record leaves its link in chain.txt owned by that
file; deleting the link too leaves a gap in the sequence or a broken prev_hash;
rewriting the whole chain in the package no longer reaches the signed checkpoint.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.anchor import service as anchor
from ingest_server.audit.models import AuditEvent
from ingest_server.audit.service import HASHED_FIELDS
from ingest_server.clips import sightings
from ingest_server.clips.models import Clip
from ingest_server.context import ServerContext
from ingest_server.devices import keys
from ingest_server.export import custody, sidecars

CUSTODY = "custody"
CLIP_FACTS = (
    "id",
    "sha256",
    "size",
    "original_name",
    "officer_id",
    "vehicle_id",
    "camera_serial",
    "camera_start",
    "corrected_start",
    "clock_offset_seconds",
    "clock_offset_uncertainty_seconds",
    "stored_at",
    "flags_json",
)


def _event(e: AuditEvent) -> dict:
    return {**{f: getattr(e, f) for f in HASHED_FIELDS}, "hash": e.hash}


def _fact(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _key_fingerprints(events: list[AuditEvent]) -> set[str]:
    """The device keys that signed the agent events among `events`."""
    found = set()
    for e in events:
        if e.component != "agent":
            continue
        payload = json.loads(e.detail).get("payload")
        if isinstance(payload, dict) and isinstance(payload.get("key_fingerprint"), str):
            found.add(payload["key_fingerprint"])
    return found


def _device_keys(session: Session, fingerprints: set[str]) -> list[dict]:
    return [
        {
            "fingerprint": k.fingerprint,
            "device_id": k.device_id,
            "public_key_pem": k.public_key_pem,
            "registered_at": _fact(k.registered_at),
            "revoked_at": _fact(k.revoked_at),
        }
        for k in sorted(
            keys.by_fingerprints(session=session, fingerprints=fingerprints), key=lambda k: k.fingerprint
        )
    ]


def write(
    *, session: Session, ctx: ServerContext, data_dir: Path, clips: list[Clip], names: dict[str, str]
) -> dict:
    """Write the proofs for `clips` (after their clip.exported events are committed); the checkpoint."""
    folder = data_dir / CUSTODY
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint = anchor.write_checkpoint(ctx=ctx, session=session)
    owner = {clip.id: names[clip.id] for clip in clips}
    firsts, fingerprints = [], set()
    for clip in clips:
        events = custody.trail(session=session, clip_id=clip.id)
        firsts.extend(e.seq for e in events[:1])
        fingerprints |= _key_fingerprints(events)
        record = {
            "file": names[clip.id],
            "clip": {f: _fact(getattr(clip, f)) for f in CLIP_FACTS},
            "manifest": json.loads(clip.manifest_json),
            "receipt": json.loads(clip.receipt_json) if clip.receipt_json else None,
            "sightings": [{f: _fact(getattr(s, f)) for f in sightings.FACTS} for s in clip.sightings],
            "events": [_event(e) for e in events],
            "related": sidecars.listed(session=session, clip=clip, clip_file=names[clip.id]),
        }
        (folder / f"{names[clip.id]}.custody.json").write_text(json.dumps(record, indent=1, sort_keys=True))
    last = checkpoint["checkpoint"]["seq"]
    with open(folder / "chain.txt", "w", encoding="ascii") as out:
        out.write("# seq prev_hash hash owner (the package file the event is about, '-' for other objects)\n")
        if firsts:
            rows = session.execute(
                select(AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash, AuditEvent.object_id)
                .where(AuditEvent.seq >= min(firsts), AuditEvent.seq <= last)
                .order_by(AuditEvent.seq)
                .execution_options(yield_per=5000)
            )
            for seq, prev_hash, hash_, object_id in rows:
                out.write(f"{seq} {prev_hash} {hash_} {owner.get(object_id, '-')}\n")
    (folder / "checkpoints.json").write_text(json.dumps([checkpoint], indent=1, sort_keys=True))
    (folder / "receipt-key.pem").write_text(ctx.signer.public_key_pem)
    device_keys = _device_keys(session, fingerprints)
    (folder / "device-keys.json").write_text(json.dumps(device_keys, indent=1, sort_keys=True))
    verifier = resources.files("ingest_server.export").joinpath("verify_package.py").read_text()
    (folder / "verify_package.py").write_text(verifier)
    return checkpoint
