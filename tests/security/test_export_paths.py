"""Found 4: a report number containing `../` (accepted at create) made the court
package export write a bag with copies of originals outside the export folder, and
leave it there; a share titled after one report could hold another report's clips.

What must hold: report numbers are restricted to a safe pattern at create; export
paths are built only from sanitized names (also for reports made before the
restriction); a share's report and its clips are checked against each other.
"""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import update

from ingest_server.export import bag
from ingest_server.reports.models import Report
from tests.portal.conftest import csrf, sign_in
from tests.portal.test_reports import REPORT

EVIL = "UOF/../../../escaped"


def _files(root):
    return {p for p in root.rglob("*") if p.is_file()}


def test_a_report_number_with_a_path_is_refused_at_create(client, people):
    for number in (EVIL, "A/../../x", "A..B", "UOF 2026", "A\\..\\x"):
        made = client.post(
            "/api/v1/reports", json={**REPORT, "number": number}, headers=people.auth("custodian")
        )
        assert made.status_code == 422, (number, made.text)
    assert client.post("/api/v1/reports", json=REPORT, headers=people.auth("custodian")).status_code == 201


def test_export_of_an_old_report_with_a_path_in_its_number_stays_in_its_folder(
    client, people, ctx, stored, tmp_path
):
    made = client.post("/api/v1/reports", json=REPORT, headers=people.auth("custodian"))
    report_id = made.json()["id"]
    with ctx.sessions() as session:  # a report made before numbers were restricted
        session.execute(update(Report).where(Report.id == report_id).values(number=EVIL))
        session.commit()
    out = tmp_path / "a" / "b" / "c" / "exports"
    out.mkdir(parents=True)
    before = _files(tmp_path)
    with ctx.sessions() as session:
        from ingest_server.portal import links

        clips = links.linked_clips(session=session, report_id=report_id)[0]
        assert clips, "the stored clips are linked to the report"
        package = bag.build(
            session=session,
            storage=ctx.storage,
            clips=clips,
            exporter="test",
            now=ctx.clock(),
            out_dir=out,
            report_id=EVIL,
        )
    new = _files(tmp_path) - before
    assert new == {package.path} and package.path.parent == out, sorted(map(str, new))
    # and through the console
    sign_in(client)
    response = client.get(f"/portal/reports/{report_id}/package.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert all(".." not in name and not name.startswith("/") for name in archive.namelist())


def test_a_share_under_a_report_holds_only_that_reports_clips(client, people, stored):
    made = client.post("/api/v1/reports", json=REPORT, headers=people.auth("custodian"))
    assert made.status_code == 201
    other = {
        **REPORT,
        "number": "UOF-2026-0099",
        "officers": ["B0000"],
        "incident_start": "2026-10-01T09:00:00+00:00",
        "incident_end": "2026-10-01T09:10:00+00:00",
    }
    assert client.post("/api/v1/reports", json=other, headers=people.auth("custodian")).status_code == 201
    sign_in(client)
    form = {"csrf": csrf(client), "recipient": "ADA Jane Roe", "clip_ids": list(stored)}
    refused = client.post("/portal/shares", data={**form, "report_id": "UOF-2026-0099", "title": "Report B"})
    assert refused.status_code == 422 and "not linked to report UOF-2026-0099" in refused.text
    unknown = client.post("/portal/shares", data={**form, "report_id": "UOF-0000-0000"})
    assert unknown.status_code in (404, 422)
    fine = client.post("/portal/shares", data={**form, "report_id": "UOF-2026-0042"})
    assert fine.status_code == 201, fine.text
