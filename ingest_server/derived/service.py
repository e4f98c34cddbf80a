"""Redactions of stored clips, their derived copies in the store, review, approval and release.

    start(ctx=, session=, clip_id=, requester=, reason=)        -> Redaction (state scanning)
    run_scan(ctx=, redaction_id=, detector=)                     the job's first half: tracks for review
    decide_track / add_box / add_audio_range / set_style         the custodian's decisions (review state)
    run_follow(ctx=, redaction_id=)                              a box drawn on one frame, followed
                                                                 forward and back (add_box follow=True)
    request_render(ctx=, session=, redaction_id=, user=)         -> state rendering
    run_render(ctx=, redaction_id=)                              the job's second half: a draft copy
    approve(ctx=, session=, derived_id=, user=)                  draft -> approved (the reviewer)
    approve_release(ctx=, session=, derived_id=, user=)          approved -> released (a second custodian;
                                                                 the copy is signed with C2PA and stored)
    delete(ctx=, session=, derived_id=, user=, reason=)          -> deleted (a delete marker; locked
                                                                 versions stay until their retain-until)

The original is only ever read: fetched to scratch space, its sha256 checked against the clip's
before anything uses it, opened read-only by the renderer. Every derived copy is a new object under
`derived/<clip-id>/<derived-id>.mp4`, stored checksum-bound and locked (`object_lock.put_locked_derived`).
Every step is audited (component "redaction", object the clip, the derived object or the redaction).
The scan, the render and the following of a drawn box are jobs (`redaction.scan`,
`redaction.render`, `redaction.follow`), requested in the same
transaction as the step that needs them through `derived/jobs.py:enqueue_redaction` and run by
`evidence-server worker` (`derived/handlers.py`).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import av
import cv2
from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server import object_lock
from ingest_server.audit import service as audit
from ingest_server.auth.service import Principal
from ingest_server.clips.models import STORED, Clip
from ingest_server.context import ServerContext
from ingest_server.derived import jobs
from ingest_server.derived.models import (
    APPROVED,
    DELETED,
    DRAFT,
    FAILED,
    FAILED_COPY,
    REDACTED,
    RELEASED,
    RENDERED,
    RENDERING,
    REVIEW,
    SCANNING,
    SIGNED,
    DerivedObject,
    Redaction,
)
from ingest_server.redaction import provenance, sign
from ingest_server.redaction.follow import METHOD as FOLLOW_METHOD
from ingest_server.redaction.follow import follow as follow_box
from ingest_server.redaction.pipeline import Scan, ScanSettings, redact, scan
from ingest_server.redaction.render import AudioMask, RenderResult, RenderSettings, Style, TimeRange
from ingest_server.redaction.tracks import Track, TrackKind, manual_track, padded
from ingest_server.refusals import Refused, Why
from ingest_server.types import new_id

COMPONENT = "redaction"
log = logging.getLogger(__name__)
THUMB_HEIGHT = 72


class DerivedError(Refused):
    """A redaction, derived copy or release refused, with why."""


# ---- reading -------------------------------------------------------------------------------------


def of_clip(*, session: Session, clip_id: str) -> list[DerivedObject]:
    return list(
        session.execute(
            select(DerivedObject)
            .where(DerivedObject.parent_clip_id == clip_id)
            .order_by(DerivedObject.created_at, DerivedObject.id)
        ).scalars()
    )


def redactions_of(*, session: Session, clip_id: str) -> list[Redaction]:
    return list(
        session.execute(
            select(Redaction).where(Redaction.clip_id == clip_id).order_by(Redaction.requested_at)
        ).scalars()
    )


def get_redaction(*, session: Session, redaction_id: str) -> Redaction:
    row = session.get(Redaction, redaction_id)
    if row is None:
        raise DerivedError(Why.NOT_FOUND, f"no redaction {redaction_id}")
    return row


def get_derived(*, session: Session, derived_id: str) -> DerivedObject:
    row = session.get(DerivedObject, derived_id)
    if row is None:
        raise DerivedError(Why.NOT_FOUND, f"no derived copy {derived_id}")
    return row


def waiting_release(*, session: Session) -> list[DerivedObject]:
    """Approved redacted copies waiting for a second custodian's release approval."""
    query = select(DerivedObject).where(DerivedObject.state == APPROVED, DerivedObject.kind == REDACTED)
    return list(session.execute(query.order_by(DerivedObject.approved_at)).scalars())


def released_copy(*, session: Session, clip_id: str) -> DerivedObject | None:
    """The newest signed release copy of a clip, if any (not deleted)."""
    query = (
        select(DerivedObject)
        .where(
            DerivedObject.parent_clip_id == clip_id,
            DerivedObject.kind == SIGNED,
            DerivedObject.state == RELEASED,
        )
        .order_by(DerivedObject.created_at.desc())
    )
    return session.execute(query).scalars().first()


def tracks_of(row: Redaction) -> list[dict]:
    return json.loads(row.tracks_json)


def _track_from(d: dict) -> Track:
    return Track(
        id=d["id"],
        kind=TrackKind(d["kind"]),
        keyframes=tuple((k["frame"], tuple(k["box"])) for k in d["keyframes"]),
        first=d["first_frame"],
        last=d["last_frame"],
        score=d.get("score", 1.0),
    )


# ---- the original, verified ------------------------------------------------------------------------


@contextmanager
def _workspace(ctx: ServerContext, name: str):
    work = ctx.settings.redaction_work_dir / name
    shutil.rmtree(work, ignore_errors=True)  # a job killed before leaves its scratch: start clean
    work.mkdir(parents=True)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fetch_verified(*, ctx: ServerContext, key: str, version_id: str | None, sha256: str, dest: Path) -> Path:
    """Copy a stored object to `dest`; its sha256 must be `sha256` or nothing is used."""
    digest = hashlib.sha256()
    chunks, _ = ctx.storage.read(key, version_id)
    with open(dest, "wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        dest.unlink(missing_ok=True)
        raise DerivedError(
            Why.BROKEN, f"the store gave bytes with sha256 {digest.hexdigest()} for {key}, not {sha256}"
        )
    dest.chmod(0o444)
    return dest


def _stored_clip(session: Session, clip_id: str) -> Clip:
    clip = session.get(Clip, clip_id)
    if clip is None:
        raise DerivedError(Why.NOT_FOUND, f"no clip {clip_id}")
    if clip.state != STORED:
        raise DerivedError(Why.CONFLICT, f"clip {clip_id} is {clip.state}, not stored: nothing to redact")
    return clip


# ---- starting and scanning -------------------------------------------------------------------------


def start(
    *, ctx: ServerContext, session: Session, clip_id: str, requester: Principal, reason: str, source=None
) -> Redaction:
    clip = _stored_clip(session, clip_id)
    row = Redaction(
        clip_id=clip.id,
        parent_sha256=clip.sha256,
        state=SCANNING,
        requested_by=requester.label,
        requested_by_id=requester.id,
        requested_at=ctx.clock(),
        reason=reason.strip(),
        frames_done=0,
        tracks_json="[]",
        rejected_json="[]",
        manual_json="[]",
        audio_json="[]",
        style=str(Style.BLUR),
    )
    session.add(row)
    session.flush()
    _audit(
        session,
        ctx,
        "redaction.requested",
        requester.label,
        "redaction",
        row.id,
        source,
        clip_id=clip.id,
        parent_sha256=clip.sha256,
        reason=row.reason,
    )
    jobs.enqueue_redaction(
        ctx=ctx, session=session, redaction_id=row.id, step=jobs.SCAN, actor=requester.label
    )
    session.commit()
    return row


def _thumbnails(path: Path, tracks: list[Track], width: int, height: int) -> dict[str, str]:
    """One JPEG (data URI) per track: the face at the keyframe in the middle of its detections."""
    wanted: dict[int, list[Track]] = {}
    for t in tracks:
        wanted.setdefault(t.keyframes[len(t.keyframes) // 2][0], []).append(t)
    out: dict[str, str] = {}
    if not wanted:
        return out
    with open(path, "rb") as fh, av.open(fh, "r") as src:
        stream = src.streams.video[0]
        for index, frame in enumerate(src.decode(stream)):
            for t in wanted.get(index, ()):
                x1, y1, x2, y2 = padded(t.box_at(index), pad=1.3, width=width, height=height)
                crop = frame.to_ndarray(format="bgr24")[y1:y2, x1:x2]
                if crop.size == 0:
                    continue
                scale = THUMB_HEIGHT / crop.shape[0]
                small = cv2.resize(crop, (max(1, int(crop.shape[1] * scale)), THUMB_HEIGHT))
                ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
                if ok:
                    out[t.id] = "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode()
            if index >= max(wanted):
                break
    return out


def run_scan(
    *,
    ctx: ServerContext,
    redaction_id: str,
    detector,
    settings: ScanSettings = ScanSettings(),
    progress: Callable[[int, int | None], None] | None = None,
) -> None:
    """The job's first half: detect faces and link them into tracks, for the custodian to review."""
    with ctx.sessions() as session:
        row = get_redaction(session=session, redaction_id=redaction_id)
        if row.state != SCANNING:
            return  # done already (a job run twice does nothing twice)
        clip = _stored_clip(session, row.clip_id)
        row.frames_total = None  # the scan reports the stream's own: registered metadata may be wrong
        session.commit()
        key, version, sha = clip.object_key, clip.version_id, clip.sha256
    try:
        with _workspace(ctx, redaction_id) as work:
            original = fetch_verified(
                ctx=ctx, key=key, version_id=version, sha256=sha, dest=work / "original"
            )
            found = scan(
                source=original,
                detector=detector,
                settings=settings,
                progress=_progress(ctx, redaction_id, progress),
            )
            thumbs = _thumbnails(original, found.tracks, found.width, found.height)
    except Exception as exc:  # noqa: BLE001 - a failed job is recorded, with its reason, never lost
        _fail(ctx, redaction_id, f"scan failed: {exc}")
        raise
    with ctx.sessions() as session:
        row = get_redaction(session=session, redaction_id=redaction_id)
        row.scan_json = json.dumps(
            {
                "width": found.width,
                "height": found.height,
                "frames": found.frames,
                "fps": found.fps,
                "settings": settings.as_dict(),
                "model": detector.info.as_dict(),
            }
        )
        row.tracks_json = json.dumps([{**t.as_dict(), "thumbnail": thumbs.get(t.id)} for t in found.tracks])
        row.frames_done, row.frames_total, row.state = found.frames, found.frames, REVIEW
        _audit(
            session,
            ctx,
            "redaction.scanned",
            "system:redaction-job",
            "redaction",
            row.id,
            None,
            clip_id=row.clip_id,
            tracks=len(found.tracks),
            frames=found.frames,
        )
        session.commit()


def _progress(ctx: ServerContext, redaction_id: str, also=None):
    """Frames done onto the redaction row every 30 frames (the console shows it), and to `also`
    (frames, total) for a job runner's own progress. The total is the one reported with the frames
    (the scan's, from the decoded stream), else the row's (the render's: the scan's decoded count);
    never less than the frames done."""

    def report(frames: int, reported: int | None = None) -> None:
        if frames % 30:
            return
        total = None
        with ctx.sessions() as session:
            row = session.get(Redaction, redaction_id)
            if row is not None:
                total = max(reported or row.frames_total or 0, frames)
                row.frames_done, row.frames_total = frames, total
                session.commit()
        if also is not None:
            also(frames, total)

    return report


def _fail(ctx: ServerContext, redaction_id: str, message: str) -> None:
    with ctx.sessions() as session:
        row = session.get(Redaction, redaction_id)
        if row is None:
            return
        row.state, row.error = FAILED, message[:2000]
        _audit(
            session,
            ctx,
            "redaction.failed",
            "system:redaction-job",
            "redaction",
            row.id,
            None,
            clip_id=row.clip_id,
            error=row.error,
        )
        session.commit()


# ---- the custodian's decisions ---------------------------------------------------------------------


def _in_review(session: Session, redaction_id: str) -> Redaction:
    row = get_redaction(session=session, redaction_id=redaction_id)
    if row.state != REVIEW:
        raise DerivedError(Why.CONFLICT, f"redaction {row.id} is {row.state}: decisions are made in review")
    return row


def decide_track(
    *,
    ctx: ServerContext,
    session: Session,
    redaction_id: str,
    track_id: str,
    accept: bool,
    user: Principal,
    source=None,
) -> Redaction:
    row = _in_review(session, redaction_id)
    if track_id not in {t["id"] for t in tracks_of(row) + json.loads(row.manual_json)}:
        raise DerivedError(Why.NOT_FOUND, f"redaction {row.id} has no track or box {track_id}")
    rejected = set(json.loads(row.rejected_json))
    rejected.discard(track_id) if accept else rejected.add(track_id)
    row.rejected_json = json.dumps(sorted(rejected))
    _audit(
        session,
        ctx,
        "redaction.track_accepted" if accept else "redaction.track_rejected",
        user.label,
        "redaction",
        row.id,
        source,
        clip_id=row.clip_id,
        track=track_id,
    )
    session.commit()
    return row


def add_box(
    *,
    ctx: ServerContext,
    session: Session,
    redaction_id: str,
    box: tuple[float, float, float, float],
    user: Principal,
    first: int = 0,
    last: int = 0,
    follow: bool = False,
    source=None,
) -> Redaction:
    """A custodian's box in frame pixels: held over frames first..last (both inclusive), or with
    `follow`, drawn on frame `first` and followed forward and back through the clip by the
    `redaction.follow` job (until it has run, the box is masked on its own frame only and the
    render waits for it)."""
    row = _in_review(session, redaction_id)
    facts = json.loads(row.scan_json)
    last = first if follow else last
    if not 0 <= first <= last < facts["frames"]:
        raise DerivedError(Why.INVALID, f"frames must satisfy 0 <= first <= last < {facts['frames']}")
    x1, y1, x2, y2 = box
    if not (0 <= x1 < x2 <= facts["width"] and 0 <= y1 < y2 <= facts["height"]):
        raise DerivedError(
            Why.INVALID,
            f"a box must lie inside the {facts['width']}x{facts['height']} frame with x1<x2, y1<y2",
        )
    manual = json.loads(row.manual_json)
    track = manual_track(f"m{len(manual) + 1}", [(first, box)], first=first, last=last)
    entry = track.as_dict()
    if follow:
        entry.update(method=FOLLOWED, state=FOLLOWING, followed_from={"frame": first, "box": list(box)})
    else:
        entry.update(method=HELD)
    manual.append(entry)
    row.manual_json = json.dumps(manual)
    _audit(
        session,
        ctx,
        "redaction.box_added",
        user.label,
        "redaction",
        row.id,
        source,
        clip_id=row.clip_id,
        box=entry,
    )
    if follow:
        jobs.enqueue_redaction(
            ctx=ctx, session=session, redaction_id=row.id, step=jobs.FOLLOW, actor=user.label
        )
    session.commit()
    return row


HELD, FOLLOWED = "held", "followed"  # how a hand-drawn box spans the clip
FOLLOWING, FOLLOW_FAILED = "following", "follow failed"  # a followed box before its job is done


def following(row: Redaction) -> list[dict]:
    """The hand-drawn boxes still waiting for (or in) their follow job."""
    return [b for b in json.loads(row.manual_json) if b.get("state") == FOLLOWING]


def run_follow(
    *, ctx: ServerContext, redaction_id: str, progress: Callable[[int, int | None], None] | None = None
) -> int:
    """The follow job: every box still `following` followed forward and back through the verified
    original (`redaction/follow.py`), stored as its manual track with a thumbnail. Returns how many."""
    with ctx.sessions() as session:
        row = get_redaction(session=session, redaction_id=redaction_id)
        pending = following(row) if row.state == REVIEW else []
        if not pending:
            return 0  # done already, or the redaction moved on
        clip = _stored_clip(session, row.clip_id)
        key, version, sha = clip.object_key, clip.version_id, clip.sha256
        facts = json.loads(row.scan_json)
    total = facts["frames"] * len(pending)
    done: dict[str, dict] = {}
    try:
        with _workspace(ctx, f"follow-{redaction_id}") as work:
            original = fetch_verified(
                ctx=ctx, key=key, version_id=version, sha256=sha, dest=work / "original"
            )
            for n, entry in enumerate(pending):
                start = entry["followed_from"]
                track = follow_box(
                    source=original,
                    frame=start["frame"],
                    box=tuple(start["box"]),  # type: ignore[arg-type]
                    track_id=entry["id"],
                    progress=_follow_progress(progress, n * facts["frames"], total),
                )
                if progress is not None:  # this box is done, though it may have been lost before the end
                    progress((n + 1) * facts["frames"], total)
                thumbs = _thumbnails(original, [track], facts["width"], facts["height"])
                done[entry["id"]] = {**track.as_dict(), "thumbnail": thumbs.get(track.id)}
    except Exception as exc:  # noqa: BLE001 - recorded on the boxes and the audit, then the job fails
        _settle_follow(ctx, redaction_id, done, f"follow failed: {exc}")
        raise
    _settle_follow(ctx, redaction_id, done, None)
    return len(done)


def _follow_progress(also, before: int, total: int):
    def report(frames: int) -> None:
        if also is not None and frames % 30 == 0:
            also(before + frames, total)

    return report


def _settle_follow(ctx: ServerContext, redaction_id: str, done: dict[str, dict], error: str | None) -> None:
    """The followed tracks onto their boxes (re-read: boxes added meanwhile stay); on `error`, the
    boxes not followed are marked failed (still masked on their own frame), each step audited."""
    with ctx.sessions() as session:
        row = get_redaction(session=session, redaction_id=redaction_id)
        manual = json.loads(row.manual_json)
        for i, entry in enumerate(manual):
            if entry.get("state") != FOLLOWING:
                continue
            if entry["id"] in done:
                manual[i] = {**entry, **done[entry["id"]], "state": FOLLOWED}
                followed = manual[i]
                _audit(
                    session,
                    ctx,
                    "redaction.box_followed",
                    "system:redaction-job",
                    "redaction",
                    row.id,
                    None,
                    clip_id=row.clip_id,
                    box=entry["id"],
                    followed_from=entry["followed_from"],
                    first_frame=followed["first_frame"],
                    last_frame=followed["last_frame"],
                    keyframes=len(followed["keyframes"]),
                )
            elif error is not None:
                manual[i] = {**entry, "state": FOLLOW_FAILED, "error": error[:500]}
                _audit(
                    session,
                    ctx,
                    "redaction.box_follow_failed",
                    "system:redaction-job",
                    "redaction",
                    row.id,
                    None,
                    outcome="failure",
                    clip_id=row.clip_id,
                    box=entry["id"],
                    error=error[:2000],
                )
        row.manual_json = json.dumps(manual)
        session.commit()


def add_audio_range(
    *,
    ctx: ServerContext,
    session: Session,
    redaction_id: str,
    start_s: float,
    end_s: float,
    user: Principal,
    source=None,
) -> Redaction:
    row = _in_review(session, redaction_id)
    facts = json.loads(row.scan_json)
    length = facts["frames"] / facts["fps"] if facts["fps"] else None
    try:
        span = TimeRange(start_s, end_s)
    except ValueError as exc:
        raise DerivedError(Why.INVALID, str(exc)) from exc
    if length is not None and span.start >= length:
        raise DerivedError(Why.INVALID, f"the clip is {length:.2f} s long: the range starts after its end")
    ranges = [*json.loads(row.audio_json), span.as_dict()]
    row.audio_json = json.dumps(ranges)
    _audit(
        session,
        ctx,
        "redaction.audio_masked",
        user.label,
        "redaction",
        row.id,
        source,
        clip_id=row.clip_id,
        range=span.as_dict(),
    )
    session.commit()
    return row


def set_style(
    *, ctx: ServerContext, session: Session, redaction_id: str, style: str, user: Principal, source=None
) -> Redaction:
    row = _in_review(session, redaction_id)
    try:
        row.style = str(Style(style))
    except ValueError as exc:
        raise DerivedError(Why.INVALID, f"style must be one of {', '.join(Style)}") from exc
    _audit(session, ctx, "redaction.style_set", user.label, "redaction", row.id, source, style=row.style)
    session.commit()
    return row


def request_render(
    *, ctx: ServerContext, session: Session, redaction_id: str, user: Principal, source=None
) -> Redaction:
    row = _in_review(session, redaction_id)
    if following(row):
        names = ", ".join(b["id"] for b in following(row))
        raise DerivedError(
            Why.CONFLICT, f"box {names} is still being followed through the clip: render after"
        )
    row.state = RENDERING
    row.frames_done = 0
    _audit(
        session,
        ctx,
        "redaction.render_requested",
        user.label,
        "redaction",
        row.id,
        source,
        clip_id=row.clip_id,
        rejected=json.loads(row.rejected_json),
        manual=len(json.loads(row.manual_json)),
        audio_ranges=json.loads(row.audio_json),
    )
    jobs.enqueue_redaction(ctx=ctx, session=session, redaction_id=row.id, step=jobs.RENDER, actor=user.label)
    session.commit()
    return row


# ---- rendering: the draft copy ---------------------------------------------------------------------


def run_render(
    *, ctx: ServerContext, redaction_id: str, progress: Callable[[int, int | None], None] | None = None
) -> None:
    """The job's second half: render the decision into a new derived object (draft), stored locked."""
    with ctx.sessions() as session:
        row = get_redaction(session=session, redaction_id=redaction_id)
        if row.state != RENDERING:
            return
        clip = _stored_clip(session, row.clip_id)
        key, version, sha = clip.object_key, clip.version_id, clip.sha256
        facts = json.loads(row.scan_json)
        detected = [_track_from(t) for t in tracks_of(row)]
        drawn = json.loads(row.manual_json)
        every_rejected = frozenset(json.loads(row.rejected_json))
        rejected = every_rejected & {t.id for t in detected}
        manual = [_track_from(t) for t in drawn if t["id"] not in every_rejected]
        manual_facts = {b["id"]: _drawn_facts(b, every_rejected) for b in drawn}
        audio = [TimeRange(r["start_s"], r["end_s"]) for r in json.loads(row.audio_json)]
        style, requested_by, requested_at = row.style, row.requested_by, row.requested_at
        clip_id = row.clip_id
    # One id per redaction (it renders once), the same in every attempt of its job: an attempt killed
    # between the PUT and the commit leaves a complete, locked copy under this key, and the next
    # attempt adopts it instead of storing a second one (see below).
    derived_id = redacted_id(redaction_id)
    render_settings = RenderSettings(style=Style(style), audio_mask=AudioMask.MUTE)
    scan_settings = ScanSettings(**facts["settings"])
    found = Scan(
        width=facts["width"],
        height=facts["height"],
        frames=facts["frames"],
        fps=facts["fps"],
        tracks=detected,
        detections={},
    )
    object_key = f"derived/{clip_id}/{derived_id}.mp4"
    held: _Held | None = None  # set the moment a locked object exists under object_key
    storing = False
    try:
        with _workspace(ctx, redaction_id) as work:
            original = fetch_verified(
                ctx=ctx, key=key, version_id=version, sha256=sha, dest=work / "original"
            )
            result = redact(
                source=original,
                destination=work / "redacted.mp4",
                found=found,
                scan_settings=scan_settings,
                rejected=rejected,
                manual=manual,
                audio_ranges=audio,
                render_settings=render_settings,
                progress=_progress(ctx, redaction_id, progress),
            )
            now = ctx.clock()
            storing = True
            held, result = _store_or_adopt(ctx, object_key, result, now)
            record = provenance.build_record(
                parent_sha256=sha,
                parent_id=clip_id,
                derived=result,
                model=facts["model"],
                tools=provenance.tool_versions(),
                scan_settings=facts["settings"],
                render_settings=render_settings,
                tracks=detected,
                rejected=rejected,
                manual=[_track_from(t) for t in drawn],
                manual_facts=manual_facts,
                audio_ranges=audio,
                requested_by=requested_by,
                requested_at=requested_at,
                made_at=now,
            )
            text = provenance.to_json(record)
        _commit_draft(ctx, redaction_id, derived_id, held, result, text, now)
    except Exception as exc:  # noqa: BLE001 - a failed job is recorded, with its reason, never lost
        if held is None and storing:  # the PUT may have landed before the failure (say, its read-back)
            held = _stored_after_failure(ctx, object_key)
        if held is not None:  # a locked object exists: a row must point at it, or it is unaccounted for
            _record_failed_copy(ctx, redaction_id, derived_id, held, f"render failed: {exc}")
        _fail(ctx, redaction_id, f"render failed: {exc}")
        raise


def _drawn_facts(entry: dict, rejected: frozenset[str]) -> dict:
    """What the provenance record says of a hand-drawn box besides its track: how it spans the clip
    (held as drawn, or followed: from which frame and box, by what, over which frames) and the decision."""
    facts: dict = {
        "method": entry.get("method", HELD),
        "decision": "rejected" if entry["id"] in rejected else "accepted",
    }
    if facts["method"] == FOLLOWED:
        facts["followed"] = {
            **FOLLOW_METHOD,
            "from_frame": entry["followed_from"]["frame"],
            "from_box": entry["followed_from"]["box"],
            "span": [entry["first_frame"], entry["last_frame"]],
            "state": entry.get("state"),
        }
    return facts


@dataclass
class _Held:
    """The locked object under a redaction's key: what was stored (or found from a killed attempt)."""

    key: str
    stored: object
    until: datetime
    sha256: str
    size: int
    adopted: bool  # stored by an earlier attempt, not this one


def _store_or_adopt(ctx: ServerContext, key: str, result: RenderResult, now: datetime):
    """(_Held, the result naming the stored bytes): this render stored locked under `key`, or the
    copy a killed attempt stored there from the same decisions, adopted rather than stored twice."""
    earlier = object_lock.locked_derived(ctx=ctx, key=key)
    if earlier is None:
        stored, until = object_lock.put_locked_derived(
            ctx=ctx, key=key, path=result.path, sha256=result.sha256, now=now
        )
        return _Held(key, stored, until, result.sha256, result.size, adopted=False), result
    stored, until = earlier
    held = _Held(key, stored, until, stored.metadata.get("sha256", ""), stored.size, adopted=True)
    if held.sha256 == result.sha256:
        return held, result
    kept = fetch_verified(  # the stored bytes are the copy: checked before the record names them
        ctx=ctx,
        key=key,
        version_id=stored.version_id,
        sha256=held.sha256,
        dest=result.path.with_name("stored.mp4"),
    )
    return held, dataclasses.replace(result, path=kept, sha256=held.sha256, size=held.size)


def _stored_after_failure(ctx: ServerContext, key: str) -> _Held | None:
    """What a failed store call left under `key`, if anything (None when the store cannot say)."""
    try:
        found = object_lock.locked_derived(ctx=ctx, key=key)
    except Exception:  # noqa: BLE001 - the store's own failure is the one the job reports
        log.exception("cannot tell whether %s was stored before the render failed", key)
        return None
    if found is None:
        return None
    stored, until = found
    return _Held(key, stored, until, stored.metadata.get("sha256", ""), stored.size, adopted=False)


def _row(redaction: Redaction, derived_id: str, held: _Held, text: str, state: str, now: datetime):
    """The row of a redaction's stored copy, with its provenance record `text`."""
    return DerivedObject(
        id=derived_id,
        parent_clip_id=redaction.clip_id,
        parent_sha256=redaction.parent_sha256,
        redaction_id=redaction.id,
        kind=REDACTED,
        object_key=held.key,
        version_id=held.stored.version_id,
        sha256=held.sha256,
        size=held.size,
        retain_until=held.until,
        requested_by=redaction.requested_by,
        requested_at=redaction.requested_at,
        provenance_json=text,
        provenance_sha256=hashlib.sha256(text.encode()).hexdigest(),
        state=state,
        created_at=now,
    )


def _commit_draft(
    ctx: ServerContext,
    redaction_id: str,
    derived_id: str,
    held: _Held,
    result: RenderResult,
    text: str,
    now: datetime,
) -> None:
    with ctx.sessions() as session:
        row = get_redaction(session=session, redaction_id=redaction_id)
        session.add(_row(row, derived_id, held, text, DRAFT, now))
        row.state, row.derived_id, row.frames_done = RENDERED, derived_id, result.frames
        _audit(
            session,
            ctx,
            "derived.stored",
            "system:redaction-job",
            "derived_object",
            derived_id,
            None,
            clip_id=row.clip_id,
            parent_sha256=row.parent_sha256,
            sha256=result.sha256,
            size=result.size,
            key=held.key,
            frames_masked=result.frames_masked,
            audio=result.audio,
            audio_codec=result.audio_codec,
            audio_samples_masked=result.audio_samples_masked,
            adopted_earlier_attempt=held.adopted,
        )
        session.commit()


def _record_failed_copy(
    ctx: ServerContext, redaction_id: str, derived_id: str, held: _Held, error: str
) -> None:
    """The render failed after its object was stored (or adopted): a `failed` row names the locked
    object (key, version, sha256, retain-until) so it is accounted for; it can never be approved.
    If even this row cannot be written, the log names the object."""
    try:
        with ctx.sessions() as session:
            row = get_redaction(session=session, redaction_id=redaction_id)
            if session.get(DerivedObject, derived_id) is not None:
                return  # the draft's row was committed after all
            now = ctx.clock()
            text = _failed_text(row.parent_sha256, row.clip_id, held, error, row, now)
            session.add(_row(row, derived_id, held, text, FAILED_COPY, now))
            row.derived_id = derived_id
            _audit(
                session,
                ctx,
                "derived.stored_render_failed",
                "system:redaction-job",
                "derived_object",
                derived_id,
                None,
                outcome="failure",
                clip_id=row.clip_id,
                sha256=held.sha256,
                key=held.key,
                version_id=held.stored.version_id,
                locked_until=held.until.isoformat(),
                error=error[:2000],
            )
            session.commit()
    except Exception:  # noqa: BLE001 - the original failure is what the job reports
        log.exception(
            "render of redaction %s failed after storing %s (version %s, sha256 %s) and its row could "
            "not be written: the locked object has no row",
            redaction_id,
            held.key,
            held.stored.version_id,
            held.sha256,
        )


def redacted_id(redaction_id: str) -> str:
    """The id (and so the key) of a redaction's redacted copy: the same in every attempt of its job."""
    return hashlib.sha256(f"redacted-copy:{redaction_id}".encode()).hexdigest()[:32]


# ---- approval, release, deletion -------------------------------------------------------------------


def approve(
    *, ctx: ServerContext, session: Session, derived_id: str, user: Principal, note: str = "", source=None
) -> DerivedObject:
    """The reviewing custodian approves the draft they previewed (it then waits for a second one)."""
    row = get_derived(session=session, derived_id=derived_id)
    if row.state != DRAFT:
        raise DerivedError(Why.CONFLICT, f"derived copy {row.id} is {row.state}, not a draft")
    now = ctx.clock()
    row.state = APPROVED
    row.reviewed_by = row.approved_by = user.label
    row.reviewed_at = row.approved_at = now
    row.approved_by_id = user.id
    _audit(
        session,
        ctx,
        "derived.approved",
        user.label,
        "derived_object",
        row.id,
        source,
        clip_id=row.parent_clip_id,
        sha256=row.sha256,
        note=note,
    )
    session.commit()
    return row


def agency_signer(ctx: ServerContext) -> sign.AgencySigner:
    chain, key = ctx.settings.release_cert_chain_path, ctx.settings.release_key_path
    if chain is None or key is None:
        raise DerivedError(
            Why.BROKEN,
            "no agency signing certificate is configured (EVIDENCE_SERVER_RELEASE_CERT_CHAIN_PATH and "
            "EVIDENCE_SERVER_RELEASE_KEY_PATH): a public release needs Content Credentials",
        )
    try:
        return sign.AgencySigner(
            cert_chain_pem=Path(chain).read_bytes(), private_key_pem=Path(key).read_bytes()
        )
    except OSError as exc:
        raise DerivedError(Why.BROKEN, f"the agency signing certificate cannot be read: {exc}") from exc


def release_record(row: DerivedObject, *, release_approver: str, released_at: datetime) -> dict:
    """The provenance record that travels with a release: the draft's, with every person and time."""
    record = json.loads(row.provenance_json)
    record["people"].update(
        {
            "reviewed_by": row.reviewed_by,
            "reviewed_at": row.reviewed_at.isoformat() if row.reviewed_at else None,
            "approved_by": [row.approved_by, release_approver],
            "approved_at": row.approved_at.isoformat() if row.approved_at else None,
            "release_approved_by": release_approver,
            "released_at": released_at.isoformat(),
        }
    )
    record["derived"]["object_id"] = row.id
    return record


def approve_release(
    *, ctx: ServerContext, session: Session, derived_id: str, user: Principal, note: str = "", source=None
) -> DerivedObject:
    """A second custodian approves the public release: the copy is signed (C2PA) into a new derived
    object, stored locked, and both are marked released. Returns the signed copy."""
    row = get_derived(session=session, derived_id=derived_id)
    if row.kind != REDACTED or row.state != APPROVED:
        raise DerivedError(
            Why.CONFLICT, f"derived copy {row.id} is {row.state}: only an approved copy is released"
        )
    if user.id == row.approved_by_id or user.label == row.requested_by:
        _audit(
            session,
            ctx,
            "derived.release_refused",
            user.label,
            "derived_object",
            row.id,
            source,
            outcome="refused",
            clip_id=row.parent_clip_id,
            why="the same custodian",
        )
        session.commit()
        raise DerivedError(
            Why.CONFLICT,
            "you requested or approved this copy: a second, different custodian approves its release",
        )
    signer = agency_signer(ctx)
    now = ctx.clock()
    record = release_record(row, release_approver=user.label, released_at=now)
    text = provenance.to_json(record)
    record_sha = hashlib.sha256(text.encode()).hexdigest()
    signed_id = new_id()
    key = release_key(row)
    earlier = _stored_after_failure(ctx, key)
    if earlier is not None:  # an earlier attempt stored a signed copy and stopped before its row
        _add_failed_release(session, ctx, row.id, earlier, "an earlier attempt stopped before its row")
        session.commit()
    with _workspace(ctx, f"release-{row.id}") as work:
        redacted = fetch_verified(
            ctx=ctx,
            key=row.object_key,
            version_id=row.version_id,
            sha256=row.sha256,
            dest=work / "redacted.mp4",
        )
        try:
            written = sign.sign_mp4(
                source=redacted,
                destination=work / "signed.mp4",
                signer=signer,
                manifest_json=sign.manifest(
                    title=f"{row.parent_clip_id} (redacted for release)",
                    parent_sha256=row.parent_sha256,
                    provenance_sha256=record_sha,
                    generator_version=record["tools"].get("evidence-system", "unknown"),
                ),
            )
        except sign.SignError as exc:
            raise DerivedError(Why.BROKEN, str(exc)) from exc
        try:
            stored, until = object_lock.put_locked_derived(
                ctx=ctx, key=key, path=work / "signed.mp4", sha256=written.sha256, now=now
            )
        except Exception as exc:
            left = _stored_after_failure(ctx, key)
            if left is not None:  # the store kept it though the call failed
                _add_failed_release(session, ctx, row.id, left, f"release failed: {exc}")
                session.commit()
            raise
    try:
        return _commit_release(
            session, ctx, row, user, signed_id, key, stored, until, written, text, now, note, source
        )
    except Exception as exc:
        redacted_id = row.id  # read before the rollback expires it (a reload would lock the database)
        session.rollback()
        held = _Held(key, stored, until, written.sha256, written.size, adopted=False)
        _record_failed_release(ctx, redacted_id, held, f"release failed: {exc}")
        raise


def release_key(row: DerivedObject) -> str:
    """Where a redacted copy's signed release copy is stored: the same key in every attempt, so a
    copy an interrupted attempt stored is found (and accounted for) by the next one."""
    return f"derived/{row.parent_clip_id}/{row.id}-release.mp4"


def _commit_release(session, ctx, row, user, signed_id, key, stored, until, written, text, now, note, source):
    """The signed copy's row, the redacted copy marked released, and the audit event, in one commit."""
    record_sha = hashlib.sha256(text.encode()).hexdigest()
    signed = DerivedObject(
        id=signed_id,
        parent_clip_id=row.parent_clip_id,
        parent_sha256=row.parent_sha256,
        source_derived_id=row.id,
        redaction_id=row.redaction_id,
        kind=SIGNED,
        object_key=key,
        version_id=stored.version_id,
        sha256=written.sha256,
        size=written.size,
        provenance_json=text,
        provenance_sha256=record_sha,
        state=RELEASED,
        retain_until=until,
        created_at=now,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        approved_by=row.approved_by,
        approved_by_id=row.approved_by_id,
        approved_at=row.approved_at,
        release_approved_by=user.label,
        release_approved_at=now,
    )
    session.add(signed)
    row.state, row.release_approved_by, row.release_approved_at = RELEASED, user.label, now
    _audit(
        session,
        ctx,
        "derived.released",
        user.label,
        "derived_object",
        signed_id,
        source,
        clip_id=row.parent_clip_id,
        redacted_id=row.id,
        redacted_sha256=row.sha256,
        sha256=written.sha256,
        provenance_sha256=record_sha,
        note=note,
    )
    session.commit()
    return signed


def _record_failed_release(ctx: ServerContext, redacted_id: str, held: _Held, error: str) -> None:
    """A release stopped after its signed copy was stored (locked): a `failed` signed-release row
    names that object so it is accounted for; it is never served as the release. If even this row
    cannot be written, the log names the object."""
    try:
        with ctx.sessions() as session:
            _add_failed_release(session, ctx, redacted_id, held, error)
            session.commit()
    except Exception:  # noqa: BLE001 - the original failure is what the caller reports
        log.exception(
            "release of %s failed after storing %s (version %s, sha256 %s) and its row could not be "
            "written: the locked object has no row",
            redacted_id,
            held.key,
            held.stored.version_id,
            held.sha256,
        )


def _failed_text(
    parent_sha256: str, parent_id: str, held: _Held, error: str, requested, now: datetime
) -> str:
    """The short provenance record of a stored copy whose render or release failed (`requested`: the
    row naming who requested it and when)."""
    return provenance.to_json(
        provenance.failed_record(
            parent_sha256=parent_sha256,
            parent_id=parent_id,
            sha256=held.sha256,
            size=held.size,
            object_key=held.key,
            version_id=held.stored.version_id,
            error=error,
            requested_by=requested.requested_by,
            requested_at=requested.requested_at,
            made_at=now,
        )
    )


def _add_failed_release(session: Session, ctx: ServerContext, redacted_id: str, held: _Held, error: str):
    """The `failed` signed-release row for `held` and its audit event, in `session` (nothing when
    that version already has its row)."""
    known = select(DerivedObject).where(
        DerivedObject.object_key == held.key, DerivedObject.version_id == held.stored.version_id
    )
    if session.execute(known).scalars().first() is not None:
        return  # that version already has its row
    source_row = get_derived(session=session, derived_id=redacted_id)
    now = ctx.clock()
    text = _failed_text(source_row.parent_sha256, source_row.parent_clip_id, held, error, source_row, now)
    failed_id = new_id()
    session.add(
        DerivedObject(
            id=failed_id,
            parent_clip_id=source_row.parent_clip_id,
            parent_sha256=source_row.parent_sha256,
            source_derived_id=source_row.id,
            redaction_id=source_row.redaction_id,
            kind=SIGNED,
            object_key=held.key,
            version_id=held.stored.version_id,
            sha256=held.sha256,
            size=held.size,
            provenance_json=text,
            provenance_sha256=hashlib.sha256(text.encode()).hexdigest(),
            state=FAILED_COPY,
            retain_until=held.until,
            created_at=now,
            requested_by=source_row.requested_by,
            requested_at=source_row.requested_at,
        )
    )
    _audit(
        session,
        ctx,
        "derived.stored_release_failed",
        "system:release",
        "derived_object",
        failed_id,
        None,
        outcome="failure",
        clip_id=source_row.parent_clip_id,
        redacted_id=source_row.id,
        sha256=held.sha256,
        key=held.key,
        version_id=held.stored.version_id,
        locked_until=held.until.isoformat(),
        error=error[:2000],
    )


def delete(
    *, ctx: ServerContext, session: Session, derived_id: str, user: Principal, reason: str, source=None
) -> DerivedObject:
    """A derived copy withdrawn: a delete marker over its key, the row marked deleted. The locked
    version stays in the store until its retain-until; the original is not touched."""
    row = get_derived(session=session, derived_id=derived_id)
    if row.state == DELETED:
        raise DerivedError(Why.CONFLICT, f"derived copy {row.id} is already deleted")
    if not reason.strip():
        raise DerivedError(Why.INVALID, "say why the derived copy is deleted")
    marker = ctx.storage.hide(row.object_key)
    now = ctx.clock()
    row.state, row.deleted_by, row.deleted_at, row.delete_reason = DELETED, user.label, now, reason.strip()
    _audit(
        session,
        ctx,
        "derived.deleted",
        user.label,
        "derived_object",
        row.id,
        source,
        clip_id=row.parent_clip_id,
        sha256=row.sha256,
        reason=row.delete_reason,
        delete_marker=marker,
        locked_until=row.retain_until.isoformat(),
    )
    session.commit()
    return row


def _audit(session, ctx, event_type, actor, object_type, object_id, source, outcome="success", **detail):
    """One event per step, on the clip when there is one (so the clip page's trail shows every step),
    naming the redaction or derived object it is about."""
    clip_id = detail.pop("clip_id", None)
    audit.append(
        session=session,
        component=COMPONENT,
        event_type=event_type,
        actor=actor,
        outcome=outcome,
        object_type="clip" if clip_id else object_type,
        object_id=clip_id or object_id,
        source=source,
        detail={object_type: object_id, **detail},
        clock=ctx.clock,
    )
