"""Found 7: the smaller findings, one test each.

Sign-in told an account's role, disabled or locked state before the password was
checked; the embedded data folder and SQLite files were world-readable; a password
change left existing sessions live; `PATCH /reports` took an empty reason; a
readable receipt key stopped the server with a 47-line traceback; the OPM CSV let
formulas through; bidi and terminal control characters were stored verbatim; the
sign-out event's actor was a user id; scrypt N = 2^14 (p = 1) was below guidance.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import select, update

from ingest_server import migrate
from ingest_server.app import build_context
from ingest_server.audit.models import AuditEvent
from ingest_server.auth.models import User
from ingest_server.portal import signin
from ingest_server.portal.models import PortalCredential
from ingest_server.portal.passwords import hash_password
from ingest_server.reporting import opm
from ingest_server.settings import Settings
from tests.ingest_server import helpers
from tests.portal.conftest import PASSWORD, csrf, sign_in
from tests.portal.test_reports import REPORT


def _events(ctx, event_type):
    with ctx.sessions() as session:
        return list(session.execute(select(AuditEvent).where(AuditEvent.event_type == event_type)).scalars())


def test_sign_in_tells_nothing_about_the_account_before_the_password(client, people, ctx, clock):
    with ctx.sessions() as session:
        signin.set_password(
            session=session, username="prosecutor1", password=PASSWORD, actor="test", now=clock()
        )
        session.execute(update(User).where(User.username == "auditor1").values(disabled=True))
        session.commit()
    for user in ("prosecutor1", "auditor1"):
        wrong = sign_in(client, username=user, password="not the password!")
        assert wrong.status_code == 401 and "wrong username or password" in wrong.text
        assert "disabled" not in wrong.text and "share links" not in wrong.text
    assert "share links" in sign_in(client, username="prosecutor1").text
    assert "disabled" in sign_in(client, username="auditor1").text


def test_the_data_folder_and_database_are_readable_by_the_server_only(tmp_path, s3_endpoint):
    old = os.umask(0o022)  # the usual default, under which files come out 0644
    try:
        settings = Settings(
            data_dir=tmp_path / "srv" / "data",
            s3_endpoint_url=s3_endpoint,
            s3_bucket=f"perm-{uuid.uuid4().hex[:10]}",
            s3_access_key_id="testing",
            s3_secret_access_key="testing",
        )
        migrate.upgrade(settings.db_url)
        ctx = build_context(settings)
        with ctx.sessions() as session:
            session.execute(select(User)).all()
        data = settings.data_dir
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [data, *data.iterdir()]}
        ctx.engine.dispose()
    finally:
        os.umask(old)
    assert modes["data"] == 0o700
    assert modes["evidence.sqlite3"] == 0o600 and modes["receipt-key.pem"] == 0o600
    assert all(mode & 0o077 == 0 for mode in modes.values()), modes


def test_a_password_change_ends_the_users_sessions(client, people, ctx, clock):
    assert sign_in(client).status_code == 303
    assert client.get("/portal/clips").status_code == 200
    with ctx.sessions() as session:
        signin.set_password(
            session=session,
            username="custodian1",
            password="a brand new passphrase",
            actor="admin",
            now=clock(),
        )
    gone = client.get("/portal/clips", follow_redirects=False)
    assert gone.status_code == 303 and "/portal/sign-in" in gone.headers["location"]
    assert json.loads(_events(ctx, "portal.password_set")[-1].detail)["sessions_ended"] == 1


def test_a_report_change_needs_a_reason(client, people):
    made = client.post("/api/v1/reports", json=REPORT, headers=people.auth("custodian"))
    url = f"/api/v1/reports/{made.json()['id']}"
    for body in (
        {"town": "Enfield"},
        {"town": "Enfield", "reason": ""},
        {"town": "Enfield", "reason": "   "},
    ):
        refused = client.patch(url, json=body, headers=people.auth("custodian"))
        assert refused.status_code == 422 and "reason" in refused.json()["detail"]
    done = client.patch(url, json={"town": "Enfield", "reason": "typo"}, headers=people.auth("custodian"))
    assert done.status_code == 200


def test_a_readable_receipt_key_is_a_one_line_error(tmp_path, s3_endpoint):
    env = {
        **os.environ,
        "EVIDENCE_SERVER_DATA_DIR": str(tmp_path / "data"),
        "EVIDENCE_SERVER_S3_ENDPOINT_URL": s3_endpoint,
        "EVIDENCE_SERVER_S3_BUCKET": f"key-{uuid.uuid4().hex[:10]}",
        "EVIDENCE_SERVER_S3_ACCESS_KEY_ID": "testing",
        "EVIDENCE_SERVER_S3_SECRET_ACCESS_KEY": "testing",
    }
    server = str(Path(sys.executable).parent / "evidence-server")
    subprocess.run([server, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    key = tmp_path / "data" / "receipt-key.pem"
    key.write_text("not even a key\n")
    key.chmod(0o644)
    done = subprocess.run(
        [server, "serve", "--port", "18790", "--no-migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "readable by others" in done.stderr and "chmod 600" in done.stderr


def test_opm_csv_cells_cannot_become_formulas():
    row = dict.fromkeys(opm.COLUMNS, "")
    row.update(
        {opm.COLUMNS[0]: '=HYPERLINK("http://x","y")', opm.COLUMNS[1]: "+1", opm.COLUMNS[2]: "@SUM(A1)"}
    )
    text = opm.to_csv([row, {**row, opm.COLUMNS[0]: "-2+3", opm.COLUMNS[1]: 7}])
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.strip('"').startswith(("=", "+", "-", "@")), line
    assert ",7," in text or text.split("\n")[2].split(",")[1] == "7"  # numbers stay numbers


def test_control_and_bidi_characters_are_refused_not_stored(client, people, stored):
    device, custodian = people.auth("device"), people.auth("custodian")
    for field, value in (
        ("officer_id", "B1234\u202e"),
        ("camera_serial", "\x1b[2J\x1b[31mX81234"),
        ("vehicle_id", "V\u206617"),
    ):
        data = helpers.clip_bytes(2000, seed=len(value))
        refused = helpers.register(client, device, data, **{field: value})
        assert refused.status_code == 422 and "control character" in refused.text, (field, refused.text)
    report = client.post("/api/v1/reports", json={**REPORT, "officers": ["B12\u202e34"]}, headers=custodian)
    assert report.status_code == 422
    sign_in(client)
    clip_id = next(iter(stored))
    hold = client.post(
        f"/portal/clips/{clip_id}/holds",
        data={"csrf": csrf(client), "matter": "State v. Doe", "reason": "litigation \u202egnidnep"},
    )
    assert hold.status_code == 400 and "U+202E" in hold.text


def test_the_sign_out_event_names_the_user(client, people, ctx):
    sign_in(client)
    client.post("/portal/sign-out", data={"csrf": csrf(client)})
    (event,) = _events(ctx, "portal.signed_out")
    assert event.actor == "user:custodian1"


def test_passwords_use_owasp_scrypt_and_older_hashes_are_upgraded(client, people, ctx, clock):
    with ctx.sessions() as session:
        uid = session.execute(select(User.id).where(User.username == "custodian1")).scalar_one()
        stored = session.get(PortalCredential, uid).password_hash
        assert stored.split("$")[1:4] == ["16384", "8", "5"]  # OWASP: N=2^14, r=8, p=5
        session.get(PortalCredential, uid).password_hash = hash_password(PASSWORD, n=2**14, p=1)
        session.commit()
    assert sign_in(client).status_code == 303
    with ctx.sessions() as session:
        assert session.get(PortalCredential, uid).password_hash.split("$")[1:4] == ["16384", "8", "5"]
