"""Signed checkpoints of the audit chain head, written to the Object-Locked store.

    write_checkpoint(ctx=ctx, session=session)      -> the signed checkpoint (dict)
    stored_checkpoints(ctx=ctx)                     -> every checkpoint in the store, oldest first
    verify_against_checkpoints(ctx=ctx, session=session) -> AnchorReport

A checkpoint is {"checkpoint": {"kind": "audit-checkpoint", "seq", "hash", "at",
"key_id"}, "signature", "key_id"}: the server's receipt key (Ed25519) signs the
canonical JSON of the body, exactly as it signs receipts. It is stored at
`audit-checkpoints/<seq>.json` under Object Lock for ten years, so the owner of
the database alone cannot remove or replace it. `audit verify` then compares the
database's chain with every checkpoint: an event at or before the last
checkpoint that was deleted, edited, truncated away or rewritten (even with every
hash recomputed by the server's own function) no longer gives the signed hash.

What it cannot show: changes to events after the last checkpoint (the interval,
`audit_checkpoint_seconds`, bounds that window), and anything done by someone
who holds both the database and the receipt key and can also delete from the
store (Object Lock in COMPLIANCE mode stops the last).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server import object_lock
from ingest_server.audit.models import AuditEvent, ChainHead
from ingest_server.audit.service import format_time
from ingest_server.audit.verify import verify_chain
from ingest_server.context import ServerContext
from ingest_server.receipts import verify_receipt
from retention.policy import add_years

PREFIX = "audit-checkpoints/"
LOCK_YEARS = 10
KIND = "audit-checkpoint"


def _key(seq: int) -> str:
    return f"{PREFIX}{seq:015d}.json"


def write_checkpoint(*, ctx: ServerContext, session: Session) -> dict:
    """Sign the chain head as the database holds it now and store it under Object Lock."""
    head = session.execute(select(ChainHead).where(ChainHead.id == 1)).scalar_one()
    now = ctx.clock()
    body = {
        "kind": KIND,
        "seq": head.seq,
        "hash": head.hash,
        "at": format_time(now),
        "key_id": ctx.signer.key_id,
    }
    signed = ctx.signer.sign(body)
    checkpoint = {
        "checkpoint": signed["receipt"],
        "signature": signed["signature"],
        "key_id": signed["key_id"],
    }
    data = json.dumps(checkpoint, sort_keys=True).encode("utf-8")
    object_lock.put_locked_checkpoint(
        ctx=ctx, key=_key(head.seq), body=data, until=add_years(now, LOCK_YEARS)
    )
    return checkpoint


def checkpoint_valid(public_key_pem: str, checkpoint: dict) -> bool:
    body = checkpoint.get("checkpoint")
    if not isinstance(body, dict) or body.get("kind") != KIND:
        return False
    return verify_receipt(public_key_pem, {"receipt": body, "signature": checkpoint.get("signature", "")})


def stored_checkpoints(*, ctx: ServerContext) -> list[dict]:
    found = []
    for key in ctx.storage.list_keys(PREFIX):
        chunks, _ = ctx.storage.read(key, None)
        try:
            found.append(json.loads(b"".join(chunks)))
        except ValueError:
            found.append({"unreadable": key})
    return found


@dataclass(frozen=True)
class AnchorReport:
    ok: bool
    checkpoints: int
    problems: tuple[str, ...]
    chain: str
    store_error: str | None = None

    def describe(self) -> str:
        lines = [self.chain]
        if self.store_error:
            lines.append(
                f"checkpoints NOT checked: the store did not answer ({self.store_error}); "
                "a rewrite of the whole chain is only found with the store reachable"
            )
        elif self.ok:
            lines.append(f"checked against {self.checkpoints} signed checkpoint(s) in the store: all match")
        else:
            lines.extend(f"CHECKPOINT MISMATCH: {p}" for p in self.problems)
        return "\n".join(lines)


def verify_against_checkpoints(
    *, ctx: ServerContext | None, session: Session, store_error: str | None = None
) -> AnchorReport:
    """The chain's own check, then every stored checkpoint against the database's events.

    Without a context (`ctx` None: the store could not be opened, `store_error` says why) only
    the chain is checked, and the report says the checkpoints were not.
    """
    chain = verify_chain(session=session)
    problems: list[str] = [] if chain.ok else [chain.describe()]
    try:
        if ctx is None:
            raise LookupError(store_error or "no store")
        checkpoints = stored_checkpoints(ctx=ctx)
    except Exception as exc:  # botocore's errors: no credentials, no endpoint, no bucket
        why = store_error or f"{type(exc).__name__}: {exc}"
        return AnchorReport(chain.ok, 0, tuple(problems), chain.describe(), why)
    last_seq = session.execute(select(ChainHead.seq).where(ChainHead.id == 1)).scalar_one_or_none() or 0
    for checkpoint in checkpoints:
        if "unreadable" in checkpoint or not checkpoint_valid(ctx.signer.public_key_pem, checkpoint):
            problems.append(f"checkpoint {checkpoint.get('unreadable', '')}: its signature is not valid")
            continue
        body = checkpoint["checkpoint"]
        seq, signed_hash = body["seq"], body["hash"]
        if seq == 0:
            continue
        event = session.execute(select(AuditEvent).where(AuditEvent.seq == seq)).scalar_one_or_none()
        if event is None:
            problems.append(
                f"the checkpoint signed at {body['at']} covers event {seq} with hash {signed_hash}, "
                f"but the database has no event {seq} (it ends at {last_seq}): events were deleted or "
                "the log was truncated"
            )
        elif event.hash != signed_hash:
            problems.append(
                f"the checkpoint signed at {body['at']} says event {seq} has hash {signed_hash}, "
                f"the database says {event.hash}: the chain up to event {seq} was rewritten"
            )
    ok = chain.ok and not problems
    return AnchorReport(ok, len(checkpoints), tuple(problems), chain.describe())
