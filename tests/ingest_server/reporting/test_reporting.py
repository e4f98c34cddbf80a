"""Reporting: the OPM export (CSV and JSON, API and CLI) contains no name or
identifier of a minor, victim or witness in any field of any row; the public
statistics suppress small counts."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from ingest_server.cli import app as cli_app
from tests.ingest_server.records_helpers import NullStore, report_body

# The server's clock travels years here (from 2010): on moto, see the time_travel marker.
pytestmark = pytest.mark.time_travel

T = datetime(2025, 6, 1, 14, 0, tzinfo=UTC)
PROTECTED = [  # (name, identifier) of people who must not appear anywhere in the export
    ("Zelda Quigsby", "DOB 2011-04-09"),  # a minor subject
    ("Marcus Wexlerton", "CT-LIC-88213377"),  # a victim
    ("Priya Nandakumari", "PN-55-WIT"),  # a witness
]
OPEN = ("Harold Bumpstead", "HB-1971")  # an adult subject: stays in the record


def _subjects():
    (minor, minor_id), (victim, victim_id), (witness, witness_id) = PROTECTED
    return [
        {
            "role": "subject",
            "name": minor,
            "identifier": minor_id,
            "age_group": "under_18",
            "race": "black",
            "gender": "female",
            "injured": True,
            "injuries": f"abrasion; mother of {minor} notified",
            "force_types": ["cew"],
        },
        {
            "role": "victim",
            "name": victim,
            "identifier": victim_id,
            "age_group": "35_44",
            "race": "white",
            "gender": "male",
        },
        {
            "role": "witness",
            "name": witness,
            "identifier": witness_id,
            "age_group": "25_34",
            "race": "asian",
            "gender": "female",
        },
        {
            "role": "subject",
            "name": OPEN[0],
            "identifier": OPEN[1],
            "age_group": "45_54",
            "race": "white",
            "gender": "male",
            "injuries": f"none; statement taken from {witness.split()[0]}",
            "force_types": ["strike"],
        },
    ]


def _make_reports(client, custodian):
    description = (
        f"{PROTECTED[1][0]} called 911. Officers found {PROTECTED[0][0].upper()} (minor, {PROTECTED[0][1]}) "
        f"with {OPEN[0]}. Witness {PROTECTED[2][0].split()[1]} ({PROTECTED[2][1]}) saw the CEW use; "
        f"Mr. Wexlerton's licence {PROTECTED[1][1]} was checked."
    )
    body = report_body(
        "UOF-2025-0007",
        T,
        T + timedelta(minutes=30),
        description=description,
        location=f"outside the home of {PROTECTED[1][0]}, 12 Oak St",
        subjects=_subjects(),
        force_types=["cew", "strike"],
    )
    assert client.post("/api/v1/reports", headers=custodian, json=body).status_code == 201
    other = report_body(
        "UOF-2025-0008", T + timedelta(days=3), T + timedelta(days=3, minutes=5), town="Enfield"
    )
    assert client.post("/api/v1/reports", headers=custodian, json=other).status_code == 201


def _needles() -> list[str]:
    out = []
    for name, identifier in PROTECTED:
        out += [name, identifier, *name.split()]
    return [n.lower() for n in out]


def _assert_clean(values: list[str]) -> None:
    for value in values:
        low = value.lower()
        for needle in _needles():
            assert needle not in low, f"{needle!r} found in exported field {value!r}"


def _json_values(node) -> list[str]:
    if isinstance(node, dict):
        return [v for key, item in node.items() for v in [str(key), *_json_values(item)]]
    if isinstance(node, list):
        return [v for item in node for v in _json_values(item)]
    return [str(node)]


def test_export_has_no_minor_victim_or_witness_identity(client, ctx, people, clock, tmp_path, monkeypatch):
    ctx.storage = NullStore()
    clock.set(T + timedelta(days=30))
    custodian = people.auth("custodian")
    _make_reports(client, custodian)

    as_json = client.get("/api/v1/reporting/opm?year=2025&format=json", headers=people.auth("auditor"))
    as_csv = client.get("/api/v1/reporting/opm?year=2025&format=csv", headers=custodian)
    assert as_json.status_code == 200 and as_csv.status_code == 200
    document = as_json.json()
    rows = document["rows"]
    assert len(rows) == 5  # 4 people on the first report, 1 on the second
    _assert_clean(_json_values(document))
    csv_rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert len(csv_rows) == 6
    _assert_clean([cell for row in csv_rows for cell in row])
    # Still useful: the adult subject, demographics and force types are there.
    assert any(r["person_name"] == OPEN[0] and r["person_identifier"] == OPEN[1] for r in rows)
    minor = next(r for r in rows if r["age_group"] == "under_18")
    assert (
        minor["person_name"] == "REDACTED"
        and minor["race"] == "black"
        and minor["person_force_types"] == "cew"
    )
    assert "CEW" in rows[0]["description"] and rows[0]["town"] == "Hartford"

    # The CLI writes both files from the same data, just as clean.
    monkeypatch.setenv("EVIDENCE_SERVER_DATABASE_URL", ctx.settings.db_url)
    monkeypatch.setenv("EVIDENCE_SERVER_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("EVIDENCE_SERVER_S3_ENDPOINT_URL", ctx.settings.s3_endpoint_url)
    monkeypatch.setenv("EVIDENCE_SERVER_S3_BUCKET", ctx.settings.s3_bucket)
    monkeypatch.setenv("EVIDENCE_SERVER_S3_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("EVIDENCE_SERVER_S3_SECRET_ACCESS_KEY", "testing")
    result = CliRunner().invoke(
        cli_app, ["reports", "export-opm", "--year", "2025", "--out", str(tmp_path / "opm")]
    )
    assert result.exit_code == 0, result.output
    written_csv = (tmp_path / "opm.csv").read_text()
    written_json = json.loads((tmp_path / "opm.json").read_text())
    assert written_json["rows"] == rows
    _assert_clean([cell for row in csv.reader(io.StringIO(written_csv)) for cell in row])
    stats = CliRunner().invoke(cli_app, ["reports", "stats", "--year", "2025"])
    assert stats.exit_code == 0, stats.output
    printed = json.loads(stats.output)
    assert printed["year"] == 2025 and printed["reports"] is None  # 2 reports: below the rule


def test_public_stats_suppress_small_counts(client, ctx, people, clock):
    ctx.storage = NullStore()
    clock.set(T + timedelta(days=30))
    custodian = people.auth("custodian")
    for n in range(7):
        town = "Hartford" if n < 6 else "Canaan"
        race = "white" if n < 5 else "black"
        subjects = [
            {
                "role": "subject",
                "name": f"Person {n}",
                "race": race,
                "gender": "male",
                "force_types": ["strike"],
            },
            {"role": "witness", "name": f"Witness {n}", "race": "asian", "gender": "female"},
        ]
        body = report_body(
            f"UOF-2025-1{n:03d}",
            T + timedelta(days=n),
            T + timedelta(days=n, minutes=9),
            town=town,
            subjects=subjects,
        )
        assert client.post("/api/v1/reports", headers=custodian, json=body).status_code == 201
    stats = client.get("/api/v1/reporting/stats?year=2025", headers=people.auth("trooper")).json()
    towns = {row["value"]: row for row in stats["by_town"]}
    assert towns["Canaan"]["count"] is None and towns["Canaan"]["display"] == "not shown"
    # With one town hidden, the next smallest is hidden too, and both read the same.
    assert towns["Hartford"] == {"value": "Hartford", "count": None, "display": "not shown"}
    races = {row["value"]: row for row in stats["by_race"]}
    assert races["black"]["count"] is None and "asian" not in races  # witnesses are not counted
    genders = {row["value"]: row["count"] for row in stats["by_gender"]}
    assert genders == {"male": 7}
    assert {r["value"]: r["count"] for r in stats["by_force_type"]} == {"strike": 7}
    assert not re.search(r"Person \d|Witness \d", json.dumps(stats))


def test_stats_of_nothing_show_nothing(client, people):
    answer = client.get("/api/v1/reporting/stats?year=2025", headers=people.auth("auditor"))
    assert answer.status_code == 200
    stats = answer.json()
    assert stats["reports"] is None and stats["by_town"] == [] and stats["min_count"] == 5
