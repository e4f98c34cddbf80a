"""From the dock to the court, end to end with the real processes: a camera docks,
the agent service copies, uploads and gets its receipt; a custodian links the
clip to a report; `evidence-server portal export` writes the package; the
package's own checker, in a fresh `python -I -S` with no project code, verifies
it, including every custody event the car signed (docked, clock read, copied and
hashed, registered, receipt, camera copy deleted) against the car's key; an
edited or forged car event is named; `evidence-server audit verify` matches the
checkpoint the export signed."""

from __future__ import annotations

import json
import zipfile

import pytest

from edge_agent.core.clip_state import ClipState
from tests.e2e.test_clock_offset import _dock_and_receipt
from tests.support.package_check import run_checker

pytestmark = pytest.mark.slow
REPORT = {
    "number": "UOF-2026-0913",
    "incident_start": "2026-03-14T13:50:00+00:00",
    "incident_end": "2026-03-14T14:30:00+00:00",
    "town": "Hartford",
    "officers": ["B1234"],
    "force_types": ["cew"],
}


AGENT_KINDS = [
    "agent.docked",
    "agent.clock_read",
    "agent.copy_started",
    "agent.copy_finished",
    "agent.registered",
    "agent.receipt_received",
    "agent.camera_copy_deleted",
]


def _released_and_sent(agent) -> bool:
    rows = agent.journal.clips()
    return bool(rows) and all(
        r.state == ClipState.RELEASED and all(e.sent_at for e in agent.journal.custody_log.events(r.id))
        for r in rows
    )


def test_docked_clip_to_a_package_that_verifies_itself(tmp_path, server):
    row = _dock_and_receipt(
        tmp_path, server, true_offset=4.5, docked_after=0.0, name="CAMPKG", until=_released_and_sent
    )
    with server.custodian() as api:
        report = api.post("/api/v1/reports", json=REPORT)
        assert report.status_code == 201, report.text
        linked = api.post(
            "/api/v1/links",
            json={
                "clip_id": row.server_clip_id,
                "report_id": REPORT["number"],
                "reason": "body camera of B1234",
            },
        )
        # the server links it by officer and time as it is stored; by hand it is then "already linked"
        assert linked.status_code == 201 or "already linked" in linked.text, linked.text
    out = tmp_path / "export"
    out.mkdir()
    server.cli("portal", "export", "--out", str(out), "--report", REPORT["number"])
    [archive] = list(out.glob("*.zip"))
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path / "court")
    [bag_dir] = list((tmp_path / "court").iterdir())

    done = run_checker(bag_dir, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checked 7 custody event(s) signed by the car against its key" in done.stdout
    assert done.stdout.strip().endswith("receipt and checkpoint in this package checks out.")

    [record_path] = list((bag_dir / "data" / "custody").glob("*.custody.json"))
    record = json.loads(record_path.read_text())
    kinds = [e["event_type"] for e in record["events"]]
    assert {"clip.registered", "clip.stored", "link.created", "clip.exported"} <= set(kinds)
    assert [k for k in kinds if k.startswith("agent.")] == AGENT_KINDS  # the car's half, in its order
    car = {
        e["event_type"]: json.loads(e["detail"])["payload"]
        for e in record["events"]
        if e["component"] == "agent"
    }
    assert car["agent.copy_finished"]["details"]["sha256"] == row.sha256
    assert (
        abs(car["agent.clock_read"]["details"]["offset_seconds"] - 4.5)
        <= car["agent.clock_read"]["details"]["uncertainty_seconds"]
    )
    assert (
        car["agent.camera_copy_deleted"]["at"] > car["agent.receipt_received"]["at"]
    )  # released after the receipt
    clip = record["clip"]
    assert abs(clip["clock_offset_seconds"] - 4.5) <= clip["clock_offset_uncertainty_seconds"] <= 1.0
    assert record["receipt"]["receipt"]["sha256"] == row.sha256 == clip["sha256"]

    # one field of one car event edited (its hash and the chain left as they were): named
    edited = json.loads(record_path.read_text())
    copy = next(e for e in edited["events"] if e["event_type"] == "agent.copy_finished")
    detail = json.loads(copy["detail"])
    detail["payload"]["details"]["sha256"] = "0" * 64
    copy["detail"] = json.dumps(detail, sort_keys=True, separators=(",", ":"))
    record_path.write_text(json.dumps(edited))
    done = run_checker(bag_dir, tmp_path)
    assert done.returncode == 1
    assert f"agent event {copy['seq']} (agent.copy_finished): its signature is not valid" in done.stdout

    verified = server.cli("audit", "verify")
    assert "audit chain intact" in verified and "signed checkpoint(s) in the store: all match" in verified
