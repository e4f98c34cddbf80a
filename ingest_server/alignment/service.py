"""Alignments stored, decided and read: the effects around the pure method.

- `align_report(ctx=, report_id=, progress=, job_id=)`: every pair of the
  report's linked stored clips that overlap in corrected time (widened by
  `SLACK_S`, clocks can be minutes off) and has no result yet for these two
  SHA-256s, this method, version and parameters; each original is read from the
  store into a temporary file, its audio decoded once; the results are written
  in one transaction with an audit event per clip, so a job killed midway leaves
  none, and a re-run finds the pairs already done and writes nothing twice.
- `decide(session=, alignment_id=, accept=, actor=, reason=, now=)`: a
  custodian's accept or reject, audited; accepting supersedes the pair's earlier
  accepted alignment.
- `for_clips`, `accepted_edges`, `sentence_for`: what pages and the custody
  report show.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ingest_server.alignment import Parameters, align_all, decode_audio, sentence
from ingest_server.alignment.decode import AudioDecodeError
from ingest_server.alignment.estimate import METHOD, VERSION, Alignment
from ingest_server.alignment.models import AlignmentState, ClipAlignment
from ingest_server.alignment.sentence import ClipSide
from ingest_server.alignment.timeline import Edge
from ingest_server.audit import service as audit
from ingest_server.audit.source import audit_source
from ingest_server.clips.models import STORED, Clip
from ingest_server.context import ServerContext
from ingest_server.linking.models import ClipLink
from ingest_server.refusals import Refused, Why

SLACK_S = 900.0  # cameras in court have been 12-13 minutes off
Progress = Callable[[int, int, str], None]


class AlignmentError(Refused):
    pass


def linked_clips(*, session: Session, report_id: str) -> list[Clip]:
    ids = session.execute(
        select(ClipLink.clip_id).where(ClipLink.report_id == report_id, ClipLink.unlinked_at.is_(None))
    ).scalars()
    clips = [c for c in (session.get(Clip, i) for i in dict.fromkeys(ids)) if c and c.state == STORED]
    return sorted(clips, key=lambda c: (_start(c) or datetime.max, c.id))


def _start(clip: Clip) -> datetime | None:
    return clip.corrected_start or clip.camera_start


def _window(clip: Clip) -> tuple[datetime, datetime] | None:
    start = _start(clip)
    if start is None:
        return None
    end = clip.corrected_end if clip.corrected_start else clip.camera_end
    if end is None:
        end = start + timedelta(seconds=clip.duration_seconds or 0)
    return start, end


def overlapping_pairs(clips: list[Clip], *, slack_s: float = SLACK_S) -> list[tuple[int, int]]:
    """Index pairs whose corrected windows overlap once each is widened by `slack_s`."""
    slack = timedelta(seconds=slack_s)
    windows = [_window(c) for c in clips]
    pairs = []
    for i, wi in enumerate(windows):
        for j in range(i + 1, len(windows)):
            wj = windows[j]
            if wi and wj and wi[0] - slack < wj[1] and wj[0] - slack < wi[1]:
                pairs.append((i, j))
    return pairs


def _done(session: Session, a: Clip, b: Clip, params: dict) -> bool:
    rows = session.execute(
        select(ClipAlignment).where(
            ClipAlignment.clip_a_sha256 == a.sha256,
            ClipAlignment.clip_b_sha256 == b.sha256,
            ClipAlignment.method == METHOD,
            ClipAlignment.version == VERSION,
        )
    ).scalars()
    return any(row.parameters == params for row in rows)


def _fetch(ctx: ServerContext, clip: Clip, folder: Path) -> Path:
    path = folder / f"{clip.id}.media"
    chunks, _ = ctx.storage.read(clip.object_key, clip.version_id)
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return path


def _row(result: Alignment, a: Clip, b: Clip, report_id: str, job_id: str | None, now) -> ClipAlignment:
    return ClipAlignment(
        report_id=report_id,
        clip_a_id=a.id,
        clip_b_id=b.id,
        clip_a_sha256=a.sha256,
        clip_b_sha256=b.sha256,
        aligned=result.aligned,
        reason=result.reason,
        offset_s=result.offset_s,
        drift_ppm=result.drift_ppm,
        reference_s=result.reference_s,
        offset_uncertainty_s=result.offset_uncertainty_s,
        drift_uncertainty_ppm=result.drift_uncertainty_ppm,
        confidence=result.confidence,
        windows_used=result.windows_used,
        method=result.method,
        version=result.version,
        parameters=result.parameters,
        detail=result.as_dict(),
        ran_at=now,
        job_id=job_id,
        state=AlignmentState.PROPOSED,
    )


def _audit(session: Session, row: ClipAlignment, event: str, actor: str, extra: dict | None = None) -> None:
    for clip_id, other in ((row.clip_a_id, row.clip_b_id), (row.clip_b_id, row.clip_a_id)):
        audit.append(
            session=session,
            source=audit_source(),
            component="alignment",
            event_type=event,
            actor=actor,
            outcome="success",
            object_type="clip",
            object_id=clip_id,
            detail={
                "alignment_id": row.id,
                "other_clip": other,
                "aligned": row.aligned,
                "offset_s": row.offset_s,
                "drift_ppm": row.drift_ppm,
                "offset_uncertainty_s": row.offset_uncertainty_s,
                "method": f"{row.method} {row.version}",
                **(extra or {}),
            },
        )


def align_report(
    *,
    ctx: ServerContext,
    report_id: str,
    progress: Progress,
    job_id: str | None = None,
    actor: str = "system:alignment",
    params: Parameters | None = None,
) -> dict:
    """Align the report's overlapping clip pairs not aligned before; returns counts for the job."""
    p = params or Parameters()
    with ctx.sessions() as session:
        clips = linked_clips(session=session, report_id=report_id)
        wanted = [
            (i, j) for i, j in overlapping_pairs(clips) if not _done(session, clips[i], clips[j], p.as_dict())
        ]
        session.expunge_all()
    needed = sorted({i for pair in wanted for i in pair})
    total = len(needed) + len(wanted)
    progress(0, total, "reading the clips' audio")
    tracks, unreadable = {}, {}
    with tempfile.TemporaryDirectory(prefix="align-") as folder:
        for n, i in enumerate(needed, 1):
            try:
                tracks[i] = decode_audio(_fetch(ctx, clips[i], Path(folder)), rate=p.rate)
            except AudioDecodeError as error:
                unreadable[i] = str(error)
            progress(n, total, f"decoded clip {n} of {len(needed)}")
    results: list[tuple[Alignment, Clip, Clip]] = []
    for n, (i, j) in enumerate(wanted, 1):
        if i in unreadable or j in unreadable:
            which = clips[i] if i in unreadable else clips[j]
            why = unreadable.get(i) or unreadable[j]
            result = Alignment(aligned=False, reason=f"clip {which.id}: {why}", parameters=p.as_dict())
        else:
            order = [i, j]
            result = align_all([tracks[k] for k in order], pairs=[(0, 1)], params=p)[(0, 1)]
        results.append((result, clips[i], clips[j]))
        progress(len(needed) + n, total, f"aligned pair {n} of {len(wanted)}")
    now = ctx.clock()
    with ctx.sessions.begin() as session:  # one transaction: all results, or none
        for result, a, b in results:
            row = _row(result, a, b, report_id, job_id, now)
            session.add(row)
            session.flush()
            _audit(session, row, "alignment.proposed", actor)
    return {
        "clips": len(clips),
        "pairs": len(wanted),
        "aligned": sum(1 for r, _, _ in results if r.aligned),
    }


def get(*, session: Session, alignment_id: str) -> ClipAlignment | None:
    return session.get(ClipAlignment, alignment_id[:32])


def decide(
    *, session: Session, alignment_id: str, accept: bool, actor: str, reason: str, now: datetime
) -> ClipAlignment:
    """Accept or reject a proposed alignment (audited); flushes, the caller commits."""
    row = get(session=session, alignment_id=alignment_id)
    if row is None:
        raise AlignmentError(Why.NOT_FOUND, f"no alignment {alignment_id[:32]}")
    if not reason.strip():
        raise AlignmentError(Why.INVALID, "a reason is required")
    if row.state != AlignmentState.PROPOSED:
        raise AlignmentError(Why.CONFLICT, f"alignment {row.id} is already {row.state}")
    if accept and not row.aligned:
        raise AlignmentError(
            Why.INVALID, f"alignment {row.id} found no alignment ({row.reason}): only rejectable"
        )
    if accept:
        earlier = session.execute(
            select(ClipAlignment).where(
                ClipAlignment.state == AlignmentState.ACCEPTED,
                or_(
                    (ClipAlignment.clip_a_id == row.clip_a_id) & (ClipAlignment.clip_b_id == row.clip_b_id),
                    (ClipAlignment.clip_a_id == row.clip_b_id) & (ClipAlignment.clip_b_id == row.clip_a_id),
                ),
            )
        ).scalars()
        for old in earlier:
            old.state = AlignmentState.SUPERSEDED
            old.decision_reason = f"{old.decision_reason or ''} (superseded by {row.id})".strip()
    row.state = AlignmentState.ACCEPTED if accept else AlignmentState.REJECTED
    row.decided_by, row.decided_at, row.decision_reason = actor, now, reason.strip()
    _audit(session, row, f"alignment.{row.state}", actor, {"reason": reason.strip()})
    session.flush()
    return row


def for_clips(*, session: Session, clip_ids: Iterable[str]) -> list[ClipAlignment]:
    """Every stored alignment between two of these clips, newest first."""
    ids = list(clip_ids)
    rows = session.execute(
        select(ClipAlignment)
        .where(ClipAlignment.clip_a_id.in_(ids), ClipAlignment.clip_b_id.in_(ids))
        .order_by(ClipAlignment.ran_at.desc(), ClipAlignment.id)
    ).scalars()
    return list(rows)


def accepted_edges(rows: Iterable[ClipAlignment]) -> list[Edge]:
    return [
        Edge(r.clip_a_id, r.clip_b_id, r.offset_s, r.drift_ppm, r.reference_s, r.offset_uncertainty_s)
        for r in rows
        if r.state == AlignmentState.ACCEPTED and r.aligned
    ]


def label(clip: Clip) -> str:
    if clip.camera_serial and clip.officer_id:
        return f"camera {clip.camera_serial} of {clip.officer_id}"
    if clip.camera_serial:
        return f"camera {clip.camera_serial}"
    if clip.vehicle_id:
        return f"the camera of {clip.vehicle_id}"
    return f"clip {clip.id[:12]}"


def sentence_for(row: ClipAlignment, a: Clip, b: Clip) -> str:
    """The plain sentence for a court report (camera clocks from each clip's recorded start)."""
    result = Alignment(**row.detail)
    start_a = a.camera_start or a.corrected_start
    start_b = b.camera_start or b.corrected_start
    if result.aligned and (start_a is None or start_b is None):
        return f"{label(a)} and {label(b)} are aligned by their audio; a recorded start time is missing."
    disagreement = None
    if a.clock_offset_seconds is not None and b.clock_offset_seconds is not None:
        disagreement = a.clock_offset_seconds - b.clock_offset_seconds
    return sentence(
        result,
        ClipSide(label(a), start_a),
        ClipSide(label(b), start_b),
        collection_disagreement_s=disagreement,
    )


def accepted_by_clip(*, session: Session, clips: list[Clip]) -> dict[str, list[tuple[ClipAlignment, str]]]:
    """Each clip's accepted alignments with the other clips given, and their sentences (custody reports)."""
    by_id = {c.id: c for c in clips}
    out: dict[str, list[tuple[ClipAlignment, str]]] = {c.id: [] for c in clips}
    for row in for_clips(session=session, clip_ids=list(by_id)):
        if row.state != AlignmentState.ACCEPTED:
            continue
        said = sentence_for(row, by_id[row.clip_a_id], by_id[row.clip_b_id])
        out[row.clip_a_id].append((row, said))
        out[row.clip_b_id].append((row, said))
    return out
