"""release(): the only path that deletes, keeps or moves a camera copy, and only with proof."""

from __future__ import annotations

import base64
import json
import os
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.core.journal import Journal
from edge_agent.release.camera_copy import release
from hashing import MIN_PART_SIZE, Manifest, hash_file

SERIAL = "CAM-7"


def profile(action="delete", full=False, move_to=None):
    return SimpleNamespace(name="test", release=action, release_full_rehash=full, release_move_to=move_to)


@pytest.fixture
def signer():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def receipted(tmp_path, signer):
    """A camera file, its journal row RECEIPTED with a receipt signed by `signer`."""
    camera = tmp_path / "camera"
    (camera / "DCIM").mkdir(parents=True)
    clip = camera / "DCIM" / "CLIP0001.MP4"
    clip.write_bytes(os.urandom(3 * MIN_PART_SIZE + 5))
    digest = hash_file(clip, MIN_PART_SIZE)
    st = clip.stat()
    journal = Journal(tmp_path / "spool" / "journal.sqlite")
    spool_copy = tmp_path / "spool" / "copy.mp4"
    spool_copy.write_bytes(clip.read_bytes())
    clip_id = journal.add_spooled(
        source_key="k1",
        device_serial=SERIAL,
        volume_root=str(camera),
        relpath="DCIM/CLIP0001.MP4",
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        spool_path=str(spool_copy),
        sha256=digest.sha256,
        manifest_json=Manifest.from_digest(digest).dumps(),
    )

    def receipt(key=signer, **overrides):
        body = {
            "clip_id": "srv-1",
            "sha256": digest.sha256,
            "size": digest.size,
            "object_key": "k",
            "version_id": "v1",
            "stored_at": "2026-11-24T00:00:00+00:00",
            "device_id": "d",
            **overrides,
        }
        data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        return {"receipt": body, "signature": base64.b64encode(key.sign(data)).decode(), "key_id": "k"}

    def to_receipted(**overrides):
        journal.transition(clip_id, "SPOOLED", "REGISTERED", server_clip_id="srv-1", upload_id="u")
        journal.transition(clip_id, "REGISTERED", "UPLOADED")
        journal.transition(clip_id, "UPLOADED", "RECEIPTED", receipt_json=receipt(**overrides))
        return journal.get(clip_id)

    yield SimpleNamespace(
        camera=camera, clip=clip, journal=journal, to_receipted=to_receipted, key=signer.public_key()
    )
    journal.close()


def test_delete_after_every_check(receipted):
    row = receipted.to_receipted()
    out = release(
        receipted.journal,
        row,
        volume_root=receipted.camera,
        serial_key=SERIAL,
        key=receipted.key,
        profile=profile("delete"),
    )
    assert out.released and out.action == "delete"
    assert not receipted.clip.exists()
    after = receipted.journal.get(row.id)
    assert after.state == "RELEASED" and "receipt for sha256" in after.release_action


def test_move_and_keep(receipted, tmp_path):
    row = receipted.to_receipted()
    out = release(
        receipted.journal,
        row,
        volume_root=receipted.camera,
        serial_key=SERIAL,
        key=receipted.key,
        profile=profile("move", move_to="OFFLOADED"),
    )
    assert out.action == "move" and (receipted.camera / "OFFLOADED" / "DCIM" / "CLIP0001.MP4").exists()
    assert not receipted.clip.exists()


def refused(receipted, row, **kwargs):
    args = {
        "volume_root": receipted.camera,
        "serial_key": SERIAL,
        "key": receipted.key,
        "profile": profile("delete"),
    } | kwargs
    out = release(receipted.journal, row, **args)
    assert not out.released and out.action == "refused"
    assert receipted.clip.exists(), "the camera copy must stay"
    assert receipted.journal.get(row.id).state == row.state, "a refused release changes no state"
    assert any(e["kind"] == "release_refused" for e in receipted.journal.events())
    return out.reason


def test_other_device_is_refused(receipted):
    assert "docked device" in refused(receipted, receipted.to_receipted(), serial_key="CAM-8")


def test_changed_source_is_refused(receipted):
    row = receipted.to_receipted()
    os.utime(receipted.clip, ns=(1, 1))
    assert "changed since offload" in refused(receipted, row)


def test_changed_last_part_is_refused(receipted):
    row = receipted.to_receipted()
    st = receipted.clip.stat()
    with open(receipted.clip, "r+b") as fh:  # same size, same mtime, other bytes at the end
        fh.seek(-1, os.SEEK_END)
        last = fh.read(1)
        fh.seek(-1, os.SEEK_END)
        fh.write(b"\x00" if last != b"\x00" else b"\x01")
    os.utime(receipted.clip, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert "re-hashes" in refused(receipted, row)


def test_a_middle_change_needs_the_full_rehash_the_profile_asks_for(receipted):
    row = receipted.to_receipted()
    st = receipted.clip.stat()
    with open(receipted.clip, "r+b") as fh:  # part 2 of 4: first and last parts unchanged
        fh.seek(MIN_PART_SIZE + 10)
        fh.write(b"tampered")
    os.utime(receipted.clip, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert "re-hash" in refused(receipted, row, profile=profile("delete", full=True))


def test_receipt_from_another_key_or_for_other_bytes_is_refused(receipted):
    forged = receipted.to_receipted(key=Ed25519PrivateKey.generate())
    assert "signature" in refused(receipted, forged)


def test_receipt_naming_other_bytes_is_refused(tmp_path, receipted):
    row = receipted.to_receipted(sha256="0" * 64)
    assert "sha256" in refused(receipted, row)


def test_a_clip_without_a_receipt_is_never_released(receipted):
    row = receipted.journal.get(1)
    assert "not RECEIPTED" in refused(receipted, row)


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (
            SimpleNamespace(name="typo", relase="delete", release_full_rehash=False, release_move_to=None),
            AttributeError,
        ),
        (profile("dlete"), ValueError),
    ],
    ids=["attribute-typo", "action-typo"],
)
def test_a_profile_typo_fails_loudly_and_touches_nothing(receipted, bad, error):
    # Reading the release action with a default once turned these into a silent "keep" and RELEASED.
    row = receipted.to_receipted()
    with pytest.raises(error):
        release(
            receipted.journal,
            row,
            volume_root=receipted.camera,
            serial_key=SERIAL,
            key=receipted.key,
            profile=bad,
        )
    assert receipted.clip.exists()
    assert receipted.journal.get(row.id).state == "RECEIPTED"


class Killed(BaseException):
    """The agent killed at this point (nothing after it runs)."""


def _release(receipted, row, action="delete", **kw):
    return release(
        receipted.journal,
        row,
        volume_root=receipted.camera,
        serial_key=SERIAL,
        key=receipted.key,
        profile=profile(action, move_to=kw.pop("move_to", None)),
        **kw,
    )


@pytest.mark.parametrize("action", ["delete", "move"])
def test_a_kill_between_removing_the_camera_copy_and_released_is_finished_on_restart(
    receipted, monkeypatch, action
):
    # Issue 16 Found 2: the clip stayed RECEIPTED for ever and "no longer on the camera" was logged
    # at every poll, though this agent had deleted the copy itself.
    row = receipted.to_receipted()
    import edge_agent.release.camera_copy as camera_copy

    real_fsync = camera_copy.fsync_dir

    def killed(path):
        raise Killed  # the file is already unlinked / renamed; RELEASED is never committed

    monkeypatch.setattr(camera_copy, "fsync_dir", killed)
    with pytest.raises(Killed):
        _release(receipted, row, action, move_to="OFFLOADED")
    assert not receipted.clip.exists()
    assert receipted.journal.get(row.id).state == "RECEIPTED"
    monkeypatch.setattr(camera_copy, "fsync_dir", real_fsync)

    out = _release(receipted, receipted.journal.get(row.id), action, move_to="OFFLOADED")  # after restart
    after = receipted.journal.get(row.id)
    assert out.released and after.state == "RELEASED"
    assert "by this agent before it stopped" in after.release_action
    assert not any(e["kind"] == "release_refused" for e in receipted.journal.events())


def test_a_camera_copy_gone_without_our_intent_is_refused_once_not_at_every_poll(receipted):
    row = receipted.to_receipted()
    receipted.clip.unlink()  # someone else removed it: nothing proves this agent did
    for _ in range(5):
        out = _release(receipted, receipted.journal.get(row.id))
        assert not out.released and "no longer on the camera" in out.reason
    assert receipted.journal.get(row.id).state == "RECEIPTED"
    assert len([e for e in receipted.journal.events() if e["kind"] == "release_refused"]) == 1
    assert "no longer on the camera" in receipted.journal.get(row.id).error
