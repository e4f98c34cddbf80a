"""What the console shows of reports, links and holds, read through the reports,
linking and holds packages' own service functions; and their guarded changes
(link, unlink, place and release a hold), which may wait for a second custodian
when they would shorten a clip's retention.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ingest_server.clips.models import STORED, Clip
from ingest_server.context import ServerContext
from ingest_server.errors import HTTP_STATUS
from ingest_server.holds import service as holds
from ingest_server.holds.service import HoldError
from ingest_server.linking import service as linking
from ingest_server.linking.service import LinkError
from ingest_server.portal.web import PortalError
from ingest_server.reports import service as reports
from ingest_server.reports.service import ReportError
from ingest_server.retention_apply import guard
from ingest_server.retention_apply.guard import ChangeError


@dataclass(frozen=True)
class Done:
    applied: bool
    message: str


def reports_of(*, session: Session, clip_id: str) -> list:
    """The clip's links (active and past), each with its report."""
    return linking.active_links(session=session, clip_id=clip_id)


def holds_of(*, session: Session, clip_id: str) -> list:
    return holds.for_clips(session=session, clip_ids=[clip_id])[clip_id]


def report(*, session: Session, report_id: str):
    found = reports.get(session=session, report_id=report_id[:64])
    if found is None:
        raise PortalError(404, "No such report", f"There is no report {report_id[:64]}.")
    return found


def linked_clips(*, session: Session, report_id: str) -> tuple[list[Clip], list]:
    """(the stored clips linked now, every link with its history) of a report."""
    rows = linking.active_links(session=session, report_id=report_id)
    ids = list(dict.fromkeys(link.clip_id for link, _ in rows if link.unlinked_at is None))
    clips = {c.id: c for c in (session.get(Clip, i) for i in ids) if c is not None and c.state == STORED}
    ordered = sorted(clips.values(), key=lambda c: c.corrected_start or c.camera_start or c.registered_at)
    return ordered, [link for link, _ in rows]


def clip_ids_of_report(*, session: Session, report_id: str) -> list[str] | None:
    found = reports.get(session=session, report_id=report_id[:64])
    if found is None:
        return None
    return [c.id for c in linked_clips(session=session, report_id=found.id)[0]]


def change(
    *, ctx: ServerContext, session: Session, kind: str, params: dict, description: str, principal, source
) -> Done:
    """Run a guarded change; say whether it was applied or waits for a second custodian."""
    try:
        outcome = guard.run(
            ctx=ctx,
            session=session,
            kind=kind,
            params=params,
            description=description,
            requester_id=principal.id,
            requester=principal.label,
            source=source,
        )
    except (ChangeError, ReportError, LinkError, HoldError) as exc:
        session.rollback()
        raise PortalError(HTTP_STATUS[exc.why], "Not done", str(exc)) from exc
    if outcome.applied:
        return Done(True, "done")
    shortens = "; ".join(outcome.dry_run)
    return Done(
        False,
        f"This change shortens retention ({shortens}): it waits for a second custodian's "
        f"approval (change request {outcome.request.id}, see Approvals).",
    )


def reason_given(reason: str, what: str) -> str:
    """Links, unlinks and holds are made with a reason (it goes in the audit log)."""
    if not reason.strip():
        raise PortalError(422, "Give a reason", f"Say why you {what}; it is kept in the audit log.")
    return reason.strip()


# The four guarded changes the console offers, described once for the clip page
# and the report page. Each returns the message shown after the redirect.


def link_clip(
    *,
    ctx: ServerContext,
    session: Session,
    unlink: bool,
    clip_id: str,
    report,
    reason: str,
    principal,
    source,
) -> str:
    params = {"clip_id": clip_id, "report_id": report.id, "reason": reason}
    verb, word = ("unlink", "from") if unlink else ("link", "to")
    done = change(
        ctx=ctx,
        session=session,
        kind=verb,
        params=params,
        principal=principal,
        description=f"{verb} clip {clip_id} {word} report {report.number}: {reason}",
        source=source,
    )
    return f"clip {verb}ed" if done.applied else done.message


def place_hold(
    *, ctx: ServerContext, session: Session, clip_id: str, matter: str, reason: str, principal, source
) -> str:
    done = change(
        ctx=ctx,
        session=session,
        kind="hold_place",
        params={"clip_id": clip_id, "matter": matter, "reason": reason},
        principal=principal,
        description=f"hold clip {clip_id} for {matter}",
        source=source,
    )
    return "hold placed" if done.applied else done.message


def release_hold(
    *, ctx: ServerContext, session: Session, hold_id: str, reason: str, principal, source
) -> str:
    done = change(
        ctx=ctx,
        session=session,
        kind="hold_release",
        params={"hold_id": hold_id[:32], "reason": reason},
        principal=principal,
        description=f"release hold {hold_id[:32]}: {reason}",
        source=source,
    )
    return "hold released" if done.applied else done.message
