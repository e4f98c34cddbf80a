"""The car's signed custody events in the court package: the package's own checker verifies each
signature against the car's key in the package, and names an agent event that someone with the
database added (valid chain, valid checkpoint, no car signature) or edited."""

from __future__ import annotations

import hashlib
import json
import zipfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from edge_agent.core.device_key import DeviceKey
from ingest_server.audit import service as audit
from ingest_server.audit.words import in_words
from ingest_server.clips.models import Clip
from ingest_server.export import bag
from tests.ingest_server.agent_custody.test_custody_events import _payload, _signed
from tests.ingest_server.helpers import clip_bytes, upload
from tests.support.package_check import run_checker


def _car_clip(client, people, *, seed: int) -> tuple[str, str, DeviceKey]:
    """A clip uploaded by car-17, whose key the server holds: (clip id, SHA-256, the car's key)."""
    data = clip_bytes(40_000, seed=seed)
    reg, _ = upload(client, people.auth("device"), data)
    key = DeviceKey(Ed25519PrivateKey.generate())
    put = client.put(
        "/api/v1/devices/me/key", headers=people.auth("device"), json={"public_key_pem": key.public_pem}
    )
    assert put.status_code == 200, put.text
    return reg["clip_id"], hashlib.sha256(data).hexdigest(), key


def _post(client, people, clip_id: str, key: DeviceKey, *payloads: dict):
    return client.post(
        f"/api/v1/clips/{clip_id}/custody-events", headers=people.auth("device"), json=_signed(key, *payloads)
    )


def _package(ctx, clip_id: str, out) -> object:
    out.mkdir()
    with ctx.sessions() as session:
        clip = session.execute(select(Clip).where(Clip.id == clip_id)).scalar_one()
        built = bag.build(
            session=session,
            storage=ctx.storage,
            clips=[clip],
            exporter="custodian1",
            now=ctx.clock(),
            out_dir=out,
            ctx=ctx,
        )
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(out / "unzipped")
    [bag_dir] = list((out / "unzipped").iterdir())
    return bag_dir


def test_the_checker_verifies_the_cars_signatures_and_names_a_forged_one(client, people, ctx, tmp_path):
    clip_id, sha, key = _car_clip(client, people, seed=9)
    posted = _post(
        client,
        people,
        clip_id,
        key,
        _payload(1, "copy_finished", sha, key, sha256=sha),
        _payload(2, "camera_copy_deleted", sha, key, reason="deleted from camera after receipt"),
    )
    assert posted.status_code == 200, posted.text

    honest = _package(ctx, clip_id, tmp_path / "honest")
    done = run_checker(honest)
    assert done.returncode == 0, done.stdout
    assert "checked 2 custody event(s) signed by the car against its key" in done.stdout
    keys_file = json.loads((honest / "data" / "custody" / "device-keys.json").read_text())
    assert [k["fingerprint"] for k in keys_file] == [key.fingerprint]
    [record] = (honest / "data" / "custody").glob("*.custody.json")
    copied = next(
        e for e in json.loads(record.read_text())["events"] if e["event_type"] == "agent.copy_finished"
    )
    assert in_words(copied).startswith(
        "Copied off the camera and hashed in car V17 at 2026-12-01 10:00:01 UTC"
    )
    assert sha in in_words(copied)
    assert (
        "Copied off the camera and hashed in car V17"
        in (honest / "data" / "chain-of-custody")
        .joinpath(record.name.replace(".custody.json", ".html"))
        .read_text()
    )

    # someone with the database adds a "camera copy kept" the car never signed: chain and checkpoint are fine
    forger = DeviceKey(Ed25519PrivateKey.generate())
    fake = _payload(3, "camera_copy_kept", sha, key, reason="kept on camera")
    with ctx.sessions() as session:
        forged = audit.append(
            session=session,
            component="agent",
            event_type="agent.camera_copy_kept",
            actor="device:car-17",
            outcome="success",
            object_type="clip",
            object_id=clip_id,
            detail={"payload": fake, "signature": forger.sign(fake)},
        )
        session.commit()
        forged_seq = forged.seq
    done = run_checker(_package(ctx, clip_id, tmp_path / "forged"))
    assert done.returncode == 1
    assert (
        f"agent event {forged_seq} (agent.camera_copy_kept): its signature is not valid for the car's key "
        f"{key.fingerprint}: the event was forged or edited after the car signed it"
    ) in done.stdout
    assert (
        "checkpoint at event" in done.stdout and "signed and matched" in done.stdout
    )  # only the car's proof fails


def test_editing_one_field_of_an_agent_event_is_named(client, people, ctx, tmp_path):
    clip_id, sha, key = _car_clip(client, people, seed=10)
    _post(client, people, clip_id, key, _payload(1, "docked", sha, key))
    bag_dir = _package(ctx, clip_id, tmp_path / "edit")
    [record_path] = (bag_dir / "data" / "custody").glob("*.custody.json")
    record = json.loads(record_path.read_text())
    event = next(e for e in record["events"] if e["event_type"] == "agent.docked")
    detail = json.loads(event["detail"])
    detail["payload"]["at"] = "2026-12-01T08:00:00.000+00:00"  # the dock "happened" two hours earlier
    event["detail"] = json.dumps(detail, sort_keys=True, separators=(",", ":"))
    record_path.write_text(json.dumps(record))
    done = run_checker(bag_dir)
    assert done.returncode == 1
    assert f"event {event['seq']} (agent.docked): its hash does not match its fields" in done.stdout
    assert (
        f"agent event {event['seq']} (agent.docked): its signature is not valid for the car's key"
        in done.stdout
    )
