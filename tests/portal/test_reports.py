"""The report page: its clips on one timeline, link and unlink with a reason, holds
placed and released (a change that shortens retention waits for a second
custodian), sharing the report and exporting its package."""

from __future__ import annotations

import io
import re
import zipfile

import bagit
from sqlalchemy import select

from ingest_server.audit.models import AuditEvent
from ingest_server.auth import service as auth_service
from ingest_server.portal import signin
from ingest_server.shares.models import Share
from tests.portal.conftest import PASSWORD, csrf, sign_in

REPORT = {
    "number": "UOF-2026-0042",
    "incident_start": "2026-11-24T09:58:00+00:00",
    "incident_end": "2026-11-24T10:10:00+00:00",
    "town": "Hartford",
    "location": "I-84 exit 48",
    "officers": ["B1234", "B5678"],
    "force_types": ["cew"],
}


def _report(client, people) -> str:
    made = client.post("/api/v1/reports", json=REPORT, headers=people.auth("custodian"))
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _post(client, path, **form):
    response = client.post(path, data={"csrf": csrf(client), **form})
    assert response.status_code == 200, response.text
    return response


def test_report_page_links_holds_and_timeline(client, people, ctx, stored):
    report_id = _report(client, people)
    first, second = list(stored)
    sign_in(client)
    page = client.get(f"/portal/reports/{report_id}")
    assert page.status_code == 200 and "UOF-2026-0042" in page.text and "data-timeline" in page.text
    assert page.text.count("<video") == 2 and f"/portal/clips/{first}/stream" in page.text

    held = _post(
        client,
        f"/portal/reports/{report_id}/holds",
        clip_id=first,
        matter="State v. Doe",
        reason="pending trial",
    )
    assert "hold placed" in held.text and "State v. Doe" in held.text
    assert "State v. Doe" in client.get(f"/portal/clips/{first}").text

    again = client.post(
        f"/portal/reports/{report_id}/link", data={"csrf": csrf(client), "clip_id": first, "reason": "twice"}
    )
    assert again.status_code == 409 and "already linked" in again.text

    # unlinking shortens the clip's retention: it waits for a second custodian, and the page says so
    waiting = _post(client, f"/portal/reports/{report_id}/unlink", clip_id=first, reason="wrong incident")
    change_id = re.search(r"change request ([0-9a-f]{32})", waiting.text).group(1)
    assert "second custodian" in waiting.text and waiting.text.count("<video") == 2
    with ctx.sessions() as session:
        auth_service.create_user(
            session=session, username="custodian2", role="custodian", officer_id=None, actor="test"
        )
    # the requester may not approve their own change; a second custodian approves it in the console
    listed = client.get("/portal/approvals")
    assert change_id in listed.text and "wrong incident" in listed.text
    own = client.post(f"/portal/approvals/{change_id}", data={"csrf": csrf(client), "decision": "approve"})
    assert own.status_code == 409 and "different custodian" in own.text
    with ctx.sessions() as session:
        signin.set_password(
            session=session, username="custodian2", password=PASSWORD, actor="test", now=ctx.clock()
        )
    sign_in(client, username="custodian2")
    approved = _post(client, f"/portal/approvals/{change_id}", decision="approve", note="checked the footage")
    assert "is now applied" in approved.text and change_id not in approved.text.split("</p>", 1)[1]
    unlinked = client.get(f"/portal/reports/{report_id}")
    assert unlinked.text.count("<video") == 1 and "wrong incident" in unlinked.text
    relinked = _post(client, f"/portal/reports/{report_id}/link", clip_id=first, reason="it was this one")
    assert "clip linked" in relinked.text and relinked.text.count("<video") == 2

    hold_id = re.search(r"/holds/([0-9a-f]{32})/release", relinked.text).group(1)
    pending = _post(client, f"/portal/reports/{report_id}/holds/{hold_id}/release", reason="trial over")
    assert "second custodian" in pending.text  # releasing the last hold shortens retention

    with ctx.sessions() as session:
        kinds = [
            e.event_type
            for e in session.execute(
                select(AuditEvent).where(AuditEvent.object_id == first).order_by(AuditEvent.seq)
            ).scalars()
        ]
    assert {"hold.placed", "link.removed"} <= set(kinds)
    refused = client.post(
        f"/portal/reports/{report_id}/unlink", data={"csrf": "x", "clip_id": second, "reason": "r"}
    )
    assert refused.status_code == 403


def test_share_and_export_a_report(client, people, ctx, stored, tmp_path):
    report_id = _report(client, people)
    sign_in(client)
    made = client.post(
        "/portal/shares",
        data={
            "csrf": csrf(client),
            "report_id": "UOF-2026-0042",
            "recipient": "ADA Jane Roe",
            "title": "Report UOF-2026-0042",
        },
    )
    assert made.status_code == 201, made.text
    with ctx.sessions() as session:
        share = session.execute(select(Share)).scalar_one()
    assert share.report_id == "UOF-2026-0042" and share.kind == "report"
    link = re.search(r'value="http://testserver(/review/[^"]+)"', made.text).group(1)
    client.cookies.clear()
    review = client.get(link)
    assert review.status_code == 200 and "report UOF-2026-0042" in review.text
    assert (
        "Hartford, I-84 exit 48" in review.text and "B1234, B5678" in review.text and ">cew<" in review.text
    )
    assert all(clip_id in review.text for clip_id in stored)

    sign_in(client)
    package = client.get(f"/portal/reports/{report_id}/package.zip")
    assert package.status_code == 200
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        archive.extractall(tmp_path / "out")
    (bag_dir,) = list((tmp_path / "out").iterdir())
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    assert bag.info["Report-Id"] == "UOF-2026-0042"


def test_auditor_reads_reports_but_changes_nothing(client, people, stored):
    report_id = _report(client, people)
    sign_in(client, username="auditor1")
    page = client.get(f"/portal/reports/{report_id}")
    assert page.status_code == 200 and "Place hold" not in page.text
    first = next(iter(stored))
    assert (
        client.post(
            f"/portal/reports/{report_id}/unlink",
            data={"csrf": csrf(client), "clip_id": first, "reason": "x"},
        ).status_code
        == 403
    )
    sign_in(client, username="trooper1")
    assert client.get(f"/portal/reports/{report_id}").status_code == 403


def test_holds_from_the_clip_page(client, people, stored):
    first = next(iter(stored))
    sign_in(client)
    placed = _post(
        client, f"/portal/clips/{first}/holds", matter="Civil suit 2026-17", reason="preservation letter"
    )
    assert (
        "hold placed" in placed.text
        and "Civil suit 2026-17" in placed.text
        and "preservation letter" in placed.text
    )
    hold_id = re.search(r"/holds/([0-9a-f]{32})/release", placed.text).group(1)
    empty = client.post(
        f"/portal/clips/{first}/holds/{hold_id}/release", data={"csrf": csrf(client), "reason": ""}
    )
    assert empty.status_code == 422
    released = _post(client, f"/portal/clips/{first}/holds/{hold_id}/release", reason="suit settled")
    assert "second custodian" in released.text  # the last hold: its release shortens retention
    sign_in(client, username="auditor1")
    refused = client.post(
        f"/portal/clips/{first}/holds", data={"csrf": csrf(client), "matter": "m", "reason": "r"}
    )
    assert refused.status_code == 403


def test_search_clips_by_report(client, people, stored):
    _report(client, people)
    sign_in(client)
    both = client.get("/portal/clips", params={"report": "UOF-2026-0042"})
    assert both.status_code == 200 and "2 clip(s)" in both.text
    one = client.get("/portal/clips", params={"report": "UOF-2026-0042", "officer": "B5678"})
    assert "1 clip(s)" in one.text and "B5678" in one.text
    assert client.get("/portal/clips", params={"report": "UOF-0000"}).status_code == 404


def test_links_unlinks_and_holds_on_the_report_page_need_a_reason(client, people, stored):
    report_id = _report(client, people)
    sign_in(client)
    first = next(iter(stored))
    before = client.get(f"/portal/reports/{report_id}").text
    for path, data in [
        ("unlink", {"clip_id": first}),
        ("link", {"clip_id": first}),
        ("holds", {"clip_id": first, "matter": "State v. Doe"}),
    ]:
        done = client.post(
            f"/portal/reports/{report_id}/{path}", data={"csrf": csrf(client), "reason": " ", **data}
        )
        assert done.status_code == 422 and "Give a reason" in done.text, path
    assert client.get(f"/portal/reports/{report_id}").text.count("<video") == before.count("<video")
