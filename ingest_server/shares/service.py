"""Shares: create, find by token, revoke, and record every use.

Each use is an audit event naming the share and its recipient: `share.viewed`
(the review page), `share.clip_played` (every streamed range of a clip),
`share.clip_downloaded` (an original, or the package). Plays and downloads are
recorded against the clip, so they appear in the clip's chain of custody.
Keyword-only functions; the caller passes the session and the time.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.audit import service as audit
from ingest_server.auth.tokens import token_hash
from ingest_server.clips.models import STORED, Clip
from ingest_server.linking.queries import active_links
from ingest_server.reports import service as reports
from ingest_server.shares.models import CLIPS, REPORT, Share, ShareClip

DEFAULT_DAYS = 14
MAX_DAYS = 365
ACTIVE, EXPIRED, REVOKED = "active", "expired", "revoked"


class ShareError(ValueError):
    pass


class DownloadRefused(Exception):
    pass


def status(share: Share, now: datetime) -> str:
    if share.revoked_at is not None:
        return REVOKED
    return EXPIRED if now >= share.expires_at else ACTIVE


def label(share: Share) -> str:
    return f"share:{share.id}:{share.recipient}"[:200]


def _record(session, share: Share, event_type: str, now, source, *, clip_id=None, outcome="success", **extra):
    audit.append(
        session=session,
        component="review",
        event_type=event_type,
        actor=label(share),
        outcome=outcome,
        object_type="clip" if clip_id else "share",
        object_id=clip_id or share.id,
        source=source,
        detail={"share_id": share.id, "recipient": share.recipient, **extra},
        clock=lambda: now,
    )


def _check_report(session: Session, report_id: str, clip_ids: list[str]) -> str:
    """A share named after a report holds only clips linked to that report: the recipient
    reads the report's title and facts above them. Returns the report's number."""
    report = reports.get(session=session, report_id=report_id[:64])
    if report is None:
        raise ShareError(f"there is no report {report_id[:64]}")
    linked = {
        link.clip_id
        for link, _ in active_links(session=session, report_id=report.id)
        if link.unlinked_at is None
    }
    outside = [i for i in clip_ids if i not in linked]
    if outside:
        raise ShareError(
            f"clips not linked to report {report.number}, cannot share them under it: {', '.join(outside)}"
        )
    return report.number


def create(
    *,
    session: Session,
    clip_ids: list[str],
    recipient: str,
    title: str,
    actor: str,
    now: datetime,
    report_id: str | None = None,
    note: str = "",
    days: int = DEFAULT_DAYS,
    allow_download: bool = False,
    download_limit: int | None = None,
    source: str | None = None,
) -> tuple[Share, str]:
    """Make a share of stored clips; returns it with its token (shown once, stored hashed). Commits."""
    recipient, title = recipient.strip(), title.strip()
    if not recipient:
        raise ShareError("name the recipient (who the link is for)")
    if not 1 <= days <= MAX_DAYS:
        raise ShareError(f"expiry must be between 1 and {MAX_DAYS} days, got {days}")
    if download_limit is not None and download_limit < 1:
        raise ShareError("a download limit must be at least 1 (or leave it empty for none)")
    ids = list(dict.fromkeys(clip_ids))
    if not ids:
        raise ShareError("a share needs at least one clip")
    clips = {c.id: c for c in session.execute(select(Clip).where(Clip.id.in_(ids))).scalars()}
    missing = [i for i in ids if i not in clips or clips[i].state != STORED]
    if missing:
        raise ShareError(f"not stored clips, cannot share: {', '.join(missing)}")
    if report_id:
        report_id = _check_report(session, report_id, ids)
    token = secrets.token_urlsafe(32)
    share = Share(
        token_hash=token_hash(token),
        kind=REPORT if report_id else CLIPS,
        report_id=report_id,
        title=title or (f"Report {report_id}" if report_id else f"{len(ids)} clip(s)"),
        recipient=recipient[:200],
        note=note,
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=days),
        allow_download=allow_download,
        download_limit=download_limit if allow_download else None,
        downloads_used=0,
    )
    session.add(share)
    session.flush()
    session.add_all(ShareClip(share_id=share.id, clip_id=c, position=n) for n, c in enumerate(ids))
    detail = {
        "share_id": share.id,
        "recipient": share.recipient,
        "report_id": report_id,
        "expires_at": share.expires_at.isoformat(),
        "allow_download": allow_download,
        "download_limit": share.download_limit,
    }
    audit.append(
        session=session,
        component="shares",
        event_type="share.created",
        actor=actor,
        outcome="success",
        object_type="share",
        object_id=share.id,
        source=source,
        detail={**detail, "clips": ids},
        clock=lambda: now,
    )
    for clip_id in ids:
        audit.append(
            session=session,
            component="shares",
            event_type="clip.shared",
            actor=actor,
            outcome="success",
            object_type="clip",
            object_id=clip_id,
            source=source,
            detail=detail,
            clock=lambda: now,
        )
    session.commit()
    return share, token


def by_token(*, session: Session, token: str) -> Share | None:
    if not token or len(token) > 200:
        return None
    return session.execute(select(Share).where(Share.token_hash == token_hash(token))).scalar_one_or_none()


def get(*, session: Session, share_id: str) -> Share | None:
    return session.get(Share, share_id)


def clips_of(*, session: Session, share: Share) -> list[Clip]:
    rows = session.execute(
        select(Clip)
        .join(ShareClip, ShareClip.clip_id == Clip.id)
        .where(ShareClip.share_id == share.id)
        .order_by(ShareClip.position)
    )
    return list(rows.scalars())


def listing(*, session: Session, limit: int = 200) -> list[Share]:
    return list(session.execute(select(Share).order_by(Share.created_at.desc()).limit(limit)).scalars())


def revoke(*, session: Session, share: Share, actor: str, reason: str, now: datetime, source=None) -> Share:
    if share.revoked_at is not None:
        raise ShareError(f"share {share.id} was already revoked at {share.revoked_at:%Y-%m-%d %H:%M} UTC")
    share.revoked_at, share.revoked_by, share.revoke_reason = now, actor, reason
    audit.append(
        session=session,
        component="shares",
        event_type="share.revoked",
        actor=actor,
        outcome="success",
        object_type="share",
        object_id=share.id,
        source=source,
        detail={"share_id": share.id, "recipient": share.recipient, "reason": reason},
        clock=lambda: now,
    )
    session.commit()
    return share


def record_refused(*, session: Session, share: Share, state: str, now: datetime, source, path: str) -> None:
    _record(session, share, "share.refused", now, source, outcome="denied", reason=state, path=path)
    session.commit()


def record_view(*, session: Session, share: Share, now: datetime, source) -> None:
    _record(session, share, "share.viewed", now, source)
    session.commit()


def record_play(*, session: Session, share: Share, clip: Clip, byte_range, now: datetime, source) -> None:
    rng = f"{byte_range[0]}-{byte_range[1]}" if byte_range else "all"
    _record(session, share, "share.clip_played", now, source, clip_id=clip.id, range=rng, sha256=clip.sha256)
    session.commit()


def downloads_left(share: Share) -> int | None:
    if share.download_limit is None:
        return None
    return max(0, share.download_limit - share.downloads_used)


def stream_refusal(share: Share) -> str | None:
    """Why the review page may not play the originals of `share`, or None when it may.

    The player streams the original bytes, so playing is downloading: a view-only share
    never plays (a watermarked proxy, a derived object, is what it would need; the server
    does not make one yet), and a share with a download limit does not either, since
    every request for original bytes counts against the limit."""
    if not share.allow_download:
        return (
            "this share is view-only: the originals are not streamed, and a viewing copy is "
            "not available; ask the evidence custodian for a share that allows downloads"
        )
    if share.download_limit is not None:
        return (
            f"this share allows {share.download_limit} download(s) of originals and every "
            "request for original bytes counts: download the recording to play it"
        )
    return None


def record_stream_refused(*, session: Session, share: Share, clip: Clip, reason: str, now, source) -> None:
    _record(
        session, share, "share.play_refused", now, source, clip_id=clip.id, outcome="denied", reason=reason
    )
    session.commit()


def record_download(
    *, session: Session, share: Share, clips: list[Clip], via: str, now: datetime, source
) -> None:
    """Check and count one download (an original or the package) and audit it per clip; commits.

    Every request for original bytes counts, ranged or not: counting only ranges that
    start at 0 let `Range: bytes=1-` download without limit."""
    session.refresh(share, with_for_update=True)  # PostgreSQL: two downloads cannot both take the last one
    if not share.allow_download:
        _record(session, share, "share.download_refused", now, source, outcome="denied", reason="view only")
        session.commit()
        raise DownloadRefused("this share is view-only: downloads of originals are not allowed")
    if downloads_left(share) == 0:
        _record(
            session,
            share,
            "share.download_refused",
            now,
            source,
            outcome="denied",
            reason=f"download limit of {share.download_limit} reached",
        )
        session.commit()
        raise DownloadRefused(f"the download limit of this share ({share.download_limit}) has been reached")
    share.downloads_used += 1
    for clip in clips:
        _record(
            session,
            share,
            "share.clip_downloaded",
            now,
            source,
            clip_id=clip.id,
            via=via,
            sha256=clip.sha256,
            downloads_used=share.downloads_used,
        )
    session.commit()
