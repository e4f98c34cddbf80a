"""A court package that proves itself: uploaded through the device API, shared,
viewed by the prosecutor, exported; its own checker (data/custody/verify_package.py) runs in
a fresh `python -I` with no project code and passes; flipping one byte of any file,
editing one field of one event, deleting one event, or replacing the signed
checkpoint each makes it fail and name what."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import runpy
import shutil
import subprocess
import zipfile
from pathlib import Path

import bagit
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ingest_server.receipts import canonical
from tests.portal.conftest import sign_in
from tests.portal.test_shares import _share_id, make_share
from tests.support.package_check import run_checker

VERIFIER = Path(__file__).resolve().parents[2] / "ingest_server" / "export" / "verify_package.py"


def _check(bag_dir: Path) -> subprocess.CompletedProcess:
    """The package's own checker, in an isolated Python that cannot see the project."""
    return run_checker(bag_dir)


@pytest.fixture
def package(client, people, ctx, stored, tmp_path) -> Path:
    sign_in(client)
    review = make_share(client, list(stored), allow_download="1")
    share_id = _share_id(ctx)
    viewer = client.__class__(client.app)
    first = list(stored)[0]
    assert viewer.get(review).status_code == 200
    assert viewer.get(f"{review}/clips/{first}/stream", headers={"Range": "bytes=0-99"}).status_code == 206
    response = client.get(f"/portal/shares/{share_id}/package.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(tmp_path / "unzipped")
    [bag_dir] = list((tmp_path / "unzipped").iterdir())
    return bag_dir


def _copy(bag_dir: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name / bag_dir.name
    shutil.copytree(bag_dir, target)
    return target


def _records(bag_dir: Path) -> list[Path]:
    return sorted((bag_dir / "data" / "custody").glob("*.custody.json"))


def test_the_package_checks_itself_in_a_python_without_the_project(package):
    assert (package / "bagit.txt").read_text().startswith("BagIt-Version: 1.0\n")
    bagit.Bag(str(package)).validate()
    done = _check(package)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VERIFIED: every file, custody event, receipt and checkpoint" in done.stdout
    assert "checkpoint at event" in done.stdout and "signed and matched" in done.stdout
    records = [json.loads(p.read_text()) for p in _records(package)]
    assert len(records) == 2
    for record in records:
        kinds = {e["event_type"] for e in record["events"]}
        assert {"clip.registered", "clip.stored", "clip.shared", "clip.exported"} <= kinds
        assert all({"object_type", "object_id", "prev_hash", "hash"} <= set(e) for e in record["events"])
        assert record["receipt"]["receipt"]["sha256"] == record["clip"]["sha256"]
    played = [e for r in records for e in r["events"] if e["event_type"] == "share.clip_played"]
    assert played, "the prosecutor's viewing is in the custody record"
    source = (package / "data" / "custody" / "verify_package.py").read_text()
    imports = {
        line.split()[1].split(".")[0] for line in source.splitlines() if line.startswith(("import ", "from "))
    }
    assert imports <= {"__future__", "base64", "hashlib", "json", "os", "sys"}


def test_flipping_one_byte_of_any_file_is_named(package, tmp_path):
    files = sorted(p.relative_to(package) for p in package.rglob("*") if p.is_file())
    assert len(files) >= 12
    for n, rel in enumerate(files):
        bag_dir = _copy(package, tmp_path, f"flip{n}")
        path = bag_dir / rel
        data = bytearray(path.read_bytes())
        at = 300 if rel.name == "verify_package.py" else len(data) // 2  # in the checker: its docstring
        data[at] ^= 0x01
        path.write_bytes(bytes(data))
        done = _check(bag_dir)
        assert done.returncode == 1, (rel, done.stdout)
        assert "NOT VERIFIED" in done.stdout and rel.as_posix() in done.stdout, (rel, done.stdout)


def test_editing_one_field_of_one_event_is_named(package, tmp_path):
    bag_dir = _copy(package, tmp_path, "edit")
    record_path = _records(bag_dir)[0]
    record = json.loads(record_path.read_text())
    event = next(e for e in record["events"] if e["event_type"] == "clip.shared")
    event["actor"] = "user:somebody-else"
    record_path.write_text(json.dumps(record))
    done = _check(bag_dir)
    assert done.returncode == 1
    assert f"event {event['seq']} (clip.shared): its hash does not match its fields" in done.stdout


def test_deleting_one_event_is_named_even_with_the_manifests_redone(package, tmp_path):
    bag_dir = _copy(package, tmp_path, "delete")
    record_path = _records(bag_dir)[0]
    record = json.loads(record_path.read_text())
    gone = next(e for e in record["events"] if e["event_type"] == "clip.exported")
    record["events"] = [e for e in record["events"] if e is not gone]
    record_path.write_text(json.dumps(record))
    done = _check(bag_dir)
    assert done.returncode == 1
    assert f"event {gone['seq']} of this clip is in the chain but missing from its events" in done.stdout

    # also cut its link from the chain and redo both BagIt manifests, as a careful forger would
    chain = bag_dir / "data" / "custody" / "chain.txt"
    chain.write_text(
        "".join(line for line in chain.read_text().splitlines(True) if not line.startswith(f"{gone['seq']} "))
    )
    bagit.Bag(str(bag_dir)).save(manifests=True)
    done = _check(bag_dir)
    assert done.returncode == 1
    assert f"event {gone['seq']} is missing (next is {gone['seq'] + 1}): an event was deleted" in done.stdout


def test_replacing_the_checkpoint_is_named(package, tmp_path):
    bag_dir = _copy(package, tmp_path, "checkpoint")
    path = bag_dir / "data" / "custody" / "checkpoints.json"
    [original] = json.loads(path.read_text())
    forged_body = dict(original["checkpoint"], hash="f" * 64)
    forger = Ed25519PrivateKey.generate()
    forged = {
        "checkpoint": forged_body,
        "signature": base64.b64encode(forger.sign(canonical(forged_body))).decode(),
    }
    path.write_text(json.dumps([forged]))
    done = _check(bag_dir)
    assert done.returncode == 1
    seq = forged_body["seq"]
    assert f"checkpoint at event {seq}: its signature is not valid for the server's key" in done.stdout


def test_the_checkers_ed25519_agrees_with_the_cryptography_package():
    checker = runpy.run_path(str(VERIFIER))
    verify = checker["ed25519_verify"]
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    for n in range(5):
        message = hashlib.sha256(bytes([n])).digest() * n
        signature = key.sign(message)
        assert verify(public, message, signature)
        assert not verify(public, message + b"x", signature)
        assert not verify(public, message, signature[:-1] + bytes([signature[-1] ^ 1]))
