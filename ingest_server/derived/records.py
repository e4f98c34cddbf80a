"""Public records requests and their release packages.

    create(ctx=, session=, requester=, received_at=, clip_ids=, description=, user=)  -> RecordsRequest
    delay(ctx=, session=, request_id=, due_at=, reason=, user=)    a later due time, with the reason
    open_by_time_left(session=, now=)                              [(request, seconds left)], soonest first
    release(ctx=, session=, request_id=, user=)                    the package built; the request released
    verify_package(folder=, trust_anchors_pem=)                    [] when it verifies, else the problems

A request is due `records_request_due_hours` (96 by default) after receipt. A package is a folder
(and a zip of it) under `release_dir/<request-id>/`: per clip the signed MP4 (Content Credentials
embedded) and its provenance record, `release.json` listing every file's sha256 with the original's
sha256, `SHA256SUMS`, and a README in plain words. The signed file's own sha256 is listed beside the
record because neither can name the other (the credential names the record's sha256).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.auth.service import Principal
from ingest_server.clips.models import STORED, Clip
from ingest_server.context import ServerContext
from ingest_server.derived import service
from ingest_server.derived.models import OPEN, REQUEST_RELEASED, RecordsRequest, RecordsRequestClip
from ingest_server.redaction import sign
from ingest_server.refusals import Why

Err = service.DerivedError

README = """Public release {request_id}
=========================================

Requested by: {requester}
Received: {received_at}
Due: {due_at}
Released: {released_at}

What is in this folder
----------------------
Each video here is a REDACTED COPY of a recording kept by the agency. Faces (and, where listed, parts
of the sound) were blurred or silenced by software, and a records custodian checked every one before a
second custodian approved its release. The original recordings are not changed and are not included.

For each video there is a provenance record (the .provenance.json file of the same name). It says which
original recording the copy was made from (by its SHA-256 fingerprint), which software and model found
the faces, every setting used, every area and time range that was masked, and who asked, reviewed and
approved, and when.

How to check it
---------------
1. Fingerprints: `sha256sum -c SHA256SUMS` must report OK for every file. release.json lists the same
   fingerprints, and the original's, for each video.
2. Content Credentials: each video carries signed Content Credentials (C2PA) from the agency. A C2PA
   reader (for example c2patool, or contentcredentials.org/verify) shows who signed it, that it was
   edited, and the SHA-256 of its provenance record. Any change to the file breaks the signature.

Files
-----
{files}
"""


def _clips(session: Session, clip_ids: list[str]) -> list[Clip]:
    found = []
    for clip_id in dict.fromkeys(c.strip() for c in clip_ids if c.strip()):
        clip = session.get(Clip, clip_id[:32])
        if clip is None or clip.state != STORED:
            raise Err(Why.NOT_FOUND, f"no stored clip {clip_id[:32]}")
        found.append(clip)
    if not found:
        raise Err(Why.INVALID, "a records request names at least one clip")
    return found


def due_at(*, received_at: datetime, hours: int) -> datetime:
    return received_at + timedelta(hours=hours)


def create(
    *,
    ctx: ServerContext,
    session: Session,
    requester: str,
    received_at: datetime,
    clip_ids: list[str],
    description: str,
    user: Principal,
    source=None,
) -> RecordsRequest:
    if not requester.strip():
        raise Err(Why.INVALID, "say who asked (a name or an organisation)")
    if received_at.tzinfo is None:
        raise Err(Why.INVALID, "the time of receipt needs its time zone")
    if received_at > ctx.clock() + timedelta(minutes=5):
        raise Err(Why.INVALID, "a request cannot be received in the future")
    clips = _clips(session, clip_ids)
    row = RecordsRequest(
        requester=requester.strip(),
        received_at=received_at,
        due_at=due_at(received_at=received_at, hours=ctx.settings.records_request_due_hours),
        description=description.strip(),
        state=OPEN,
        recorded_by=user.label,
        recorded_at=ctx.clock(),
    )
    session.add(row)
    session.flush()
    for n, clip in enumerate(clips):
        session.add(RecordsRequestClip(request_id=row.id, clip_id=clip.id, position=n))
    service._audit(
        session,
        ctx,
        "records_request.created",
        user.label,
        "records_request",
        row.id,
        source,
        requester=row.requester,
        received_at=received_at.isoformat(),
        due_at=row.due_at.isoformat(),
        clips=[c.id for c in clips],
    )
    session.commit()
    return row


def get(*, session: Session, request_id: str) -> RecordsRequest:
    row = session.get(RecordsRequest, request_id)
    if row is None:
        raise Err(Why.NOT_FOUND, f"no records request {request_id}")
    return row


def clip_ids_of(*, session: Session, request_id: str) -> list[str]:
    query = select(RecordsRequestClip.clip_id).where(RecordsRequestClip.request_id == request_id)
    return list(session.execute(query.order_by(RecordsRequestClip.position)).scalars())


def delay(
    *,
    ctx: ServerContext,
    session: Session,
    request_id: str,
    due: datetime,
    reason: str,
    user: Principal,
    source=None,
) -> RecordsRequest:
    row = get(session=session, request_id=request_id)
    if row.state != OPEN:
        raise Err(Why.CONFLICT, f"request {row.id} is {row.state}")
    if not reason.strip():
        raise Err(Why.INVALID, "a delay needs the reason the law allows, in words")
    if due <= row.due_at:
        raise Err(Why.INVALID, "a delay moves the due time later")
    before = row.due_at
    row.due_at, row.delay_reason = due, reason.strip()
    service._audit(
        session,
        ctx,
        "records_request.delayed",
        user.label,
        "records_request",
        row.id,
        source,
        due_before=before.isoformat(),
        due_at=due.isoformat(),
        reason=row.delay_reason,
    )
    session.commit()
    return row


def open_by_time_left(*, session: Session, now: datetime) -> list[tuple[RecordsRequest, float]]:
    rows = session.execute(
        select(RecordsRequest).where(RecordsRequest.state == OPEN).order_by(RecordsRequest.due_at)
    ).scalars()
    return [(r, (r.due_at - now).total_seconds()) for r in rows]


def all_requests(*, session: Session) -> list[RecordsRequest]:
    return list(session.execute(select(RecordsRequest).order_by(RecordsRequest.received_at.desc())).scalars())


def readiness(*, session: Session, request_id: str) -> list[tuple[str, object]]:
    """(clip id, its released signed copy or None) for each clip of the request."""
    return [
        (clip_id, service.released_copy(session=session, clip_id=clip_id))
        for clip_id in clip_ids_of(session=session, request_id=request_id)
    ]


def release(
    *, ctx: ServerContext, session: Session, request_id: str, user: Principal, source=None
) -> RecordsRequest:
    """Build the release package from every clip's released copy; the request is then released."""
    row = get(session=session, request_id=request_id)
    if row.state != OPEN:
        raise Err(Why.CONFLICT, f"request {row.id} is {row.state}")
    ready = readiness(session=session, request_id=row.id)
    missing = [clip_id for clip_id, copy in ready if copy is None]
    if missing:
        raise Err(Why.CONFLICT, f"no released copy yet of clip(s) {', '.join(missing)}")
    now = ctx.clock()
    folder = ctx.settings.release_dir / row.id
    if folder.exists():
        shutil.rmtree(folder)  # a package never released (an earlier attempt that failed): built anew
    folder.mkdir(parents=True)
    items, sums = [], []
    for n, (clip_id, copy) in enumerate(ready, start=1):
        stem = f"{n:02d}_{clip_id}"
        video = service.fetch_verified(
            ctx=ctx,
            key=copy.object_key,
            version_id=copy.version_id,
            sha256=copy.sha256,
            dest=folder / f"{stem}.mp4",
        )
        record = folder / f"{stem}.provenance.json"
        record.write_text(copy.provenance_json, encoding="utf-8")
        record_sha = hashlib.sha256(record.read_bytes()).hexdigest()
        if record_sha != copy.provenance_sha256:
            raise Err(Why.BROKEN, f"the provenance record of {copy.id} does not match its sha256")
        parent = json.loads(copy.provenance_json)["parent"]
        items.append(
            {
                "clip_id": clip_id,
                "video": video.name,
                "video_sha256": copy.sha256,
                "redacted_sha256": json.loads(copy.provenance_json)["derived"]["sha256"],
                "provenance": record.name,
                "provenance_sha256": record_sha,
                "original_sha256": parent["sha256"],
                "derived_object_id": copy.id,
            }
        )
        sums += [f"{copy.sha256}  {video.name}", f"{record_sha}  {record.name}"]
    released_at = now.isoformat()
    manifest = {"request_id": row.id, "requester": row.requester, "released_at": released_at, "items": items}
    (folder / "release.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    (folder / "README.txt").write_text(
        README.format(
            request_id=row.id,
            requester=row.requester,
            received_at=row.received_at.isoformat(),
            due_at=row.due_at.isoformat(),
            released_at=released_at,
            files="\n".join(f"- {i['video']} and {i['provenance']}: clip {i['clip_id']}" for i in items),
        ),
        encoding="utf-8",
    )
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    archive = folder.with_suffix(".zip")
    archive.unlink(missing_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, f"{row.id}/{path.name}")
    row.state, row.released_at = REQUEST_RELEASED, now
    row.package_path = str(archive)
    row.package_sha256 = hashlib.sha256(archive.read_bytes()).hexdigest()
    service._audit(
        session,
        ctx,
        "records_request.released",
        user.label,
        "records_request",
        row.id,
        source,
        package_sha256=row.package_sha256,
        items=items,
        before_due=now <= row.due_at,
    )
    session.commit()
    return row


def verify_package(*, folder: Path, trust_anchors_pem: bytes) -> list[str]:
    """Every check a recipient can make; [] when the package verifies."""
    problems = []
    manifest = json.loads((folder / "release.json").read_text(encoding="utf-8"))
    for item in manifest["items"]:
        video, record = folder / item["video"], folder / item["provenance"]
        if hashlib.sha256(video.read_bytes()).hexdigest() != item["video_sha256"]:
            problems.append(f"{video.name}: sha256 differs from release.json")
        record_sha = hashlib.sha256(record.read_bytes()).hexdigest()
        if record_sha != item["provenance_sha256"]:
            problems.append(f"{record.name}: sha256 differs from release.json")
        prov = json.loads(record.read_text(encoding="utf-8"))
        if prov["parent"]["sha256"] != item["original_sha256"]:
            problems.append(
                f"{record.name}: names original {prov['parent']['sha256']}, not {item['original_sha256']}"
            )
        if prov["derived"]["sha256"] != item["redacted_sha256"]:
            problems.append(f"{record.name}: names a different redacted copy")
        state, active = sign.check(video, trust_anchors_pem=trust_anchors_pem)
        if state is not sign.CredentialState.TRUSTED:
            problems.append(f"{video.name}: Content Credentials are {state.value}")
            continue
        ours = next((a["data"] for a in active["assertions"] if a["label"] == sign.ASSERTION), None)
        if (
            ours is None
            or ours["provenance_sha256"] != record_sha
            or ours["parent_sha256"] != item["original_sha256"]
        ):
            problems.append(f"{video.name}: its credential names another record or original")
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8").split("\n")
    for line in filter(None, sums):
        digest, name = line.split("  ", 1)
        if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
            problems.append(f"SHA256SUMS: {name} differs")
    return problems
