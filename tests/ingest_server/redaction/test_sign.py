"""Content Credentials on a redacted MP4: Trusted with our CA as the anchor, Invalid after one byte."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from ingest_server.redaction.pipeline import ScanSettings, redact, scan
from ingest_server.redaction.provenance import build_record, to_json, tool_versions
from ingest_server.redaction.render import RenderSettings, TimeRange, render
from ingest_server.redaction.sign import AgencySigner, CredentialState, SignError, check, manifest, sign_mp4
from tests.ingest_server.redaction import certs, footage
from tests.ingest_server.redaction.conftest import sha256

PARENT, PROVENANCE = "a" * 64, "b" * 64


@pytest.fixture(scope="module")
def derived(tmp_path_factory):
    work = tmp_path_factory.mktemp("derived")
    made = footage.make(work / "original.mp4", seconds=1.0)
    out = work / "redacted.mp4"
    render(source=made.path, destination=out, regions=lambda i: [(0, 0, 64, 64)])
    return out


@pytest.fixture(scope="module")
def pki():
    return certs.make()


def facts():
    return manifest(
        title="redacted.mp4", parent_sha256=PARENT, provenance_sha256=PROVENANCE, generator_version="0.1.0"
    )


def test_a_signed_copy_reads_trusted_with_the_agency_ca_and_names_its_parent(derived, pki, tmp_path):
    before = sha256(derived)
    signed = tmp_path / "released.mp4"
    written = sign_mp4(
        source=derived,
        destination=signed,
        signer=AgencySigner(pki.chain_pem, pki.key_pem),
        manifest_json=facts(),
    )
    assert written.sha256 == hashlib.sha256(signed.read_bytes()).hexdigest() != before
    assert sha256(derived) == before  # the unsigned copy is left as it was
    state, active = check(signed, trust_anchors_pem=pki.root_pem)
    assert state is CredentialState.TRUSTED
    ours = next(a for a in active["assertions"] if a["label"] == "org.evidence-system.redaction")
    assert ours["data"] == {"parent_sha256": PARENT, "provenance_sha256": PROVENANCE}


def test_another_ca_is_not_trusted_and_an_unsigned_copy_has_no_credentials(derived, pki, tmp_path):
    signed = tmp_path / "released.mp4"
    sign_mp4(
        source=derived,
        destination=signed,
        signer=AgencySigner(pki.chain_pem, pki.key_pem),
        manifest_json=facts(),
    )
    assert check(signed, trust_anchors_pem=certs.make("Other CA").root_pem)[0] is CredentialState.VALID
    assert check(derived, trust_anchors_pem=pki.root_pem) == (CredentialState.ABSENT, None)


@pytest.mark.parametrize("where", [0.25, 0.5, 0.9])
def test_one_changed_byte_makes_the_credentials_invalid(derived, pki, tmp_path, where):
    signed = tmp_path / "released.mp4"
    sign_mp4(
        source=derived,
        destination=signed,
        signer=AgencySigner(pki.chain_pem, pki.key_pem),
        manifest_json=facts(),
    )
    data = bytearray(signed.read_bytes())
    data[int(len(data) * where)] ^= 0x01
    assert check(bytes(data), trust_anchors_pem=pki.root_pem)[0] is CredentialState.INVALID


def test_a_lone_self_signed_certificate_is_refused_and_nothing_is_written(derived, tmp_path):
    cert, key = certs.self_signed()
    signed = tmp_path / "released.mp4"
    with pytest.raises(SignError, match="c2pa refused to sign redacted.mp4"):
        sign_mp4(source=derived, destination=signed, signer=AgencySigner(cert, key), manifest_json=facts())
    assert list(tmp_path.iterdir()) == []


def test_the_whole_release_path_leaves_the_original_as_it_was_and_the_records_point_at_each_other(
    pki, tmp_path, detector
):
    original = footage.make(tmp_path / "original.mp4", seconds=1.5).path
    original.chmod(0o444)
    before_bytes, before_sum = original.read_bytes(), sha256(original)
    settings, ranges = ScanSettings(), [TimeRange(0.2, 0.6)]
    found = scan(source=original, detector=detector, settings=settings)
    redacted = redact(
        source=original,
        destination=tmp_path / "redacted.mp4",
        found=found,
        scan_settings=settings,
        audio_ranges=ranges,
    )
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    record = build_record(
        parent_sha256=before_sum,
        parent_id=None,
        derived=redacted,
        model=detector.info.as_dict(),
        tools=tool_versions(),
        scan_settings=settings.as_dict(),
        render_settings=RenderSettings(),
        tracks=found.tracks,
        rejected=frozenset(),
        manual=[],
        audio_ranges=ranges,
        requested_by="custodian.a",
        requested_at=now,
        made_at=now,
    )
    record_json = to_json(record).encode()
    (tmp_path / "redacted.provenance.json").write_bytes(record_json)
    released = tmp_path / "released.mp4"
    sign_mp4(
        source=redacted.path,
        destination=released,
        signer=AgencySigner(pki.chain_pem, pki.key_pem),
        manifest_json=manifest(
            title="released.mp4",
            parent_sha256=before_sum,
            provenance_sha256=hashlib.sha256(record_json).hexdigest(),
            generator_version="0.1.0",
        ),
    )
    read_back = json.loads((tmp_path / "redacted.provenance.json").read_bytes())
    assert read_back["parent"]["sha256"] == before_sum
    assert read_back["derived"]["sha256"] == sha256(redacted.path)
    assert read_back["model"]["sha256"] == detector.info.sha256
    state, active = check(released, trust_anchors_pem=pki.root_pem)
    assert state is CredentialState.TRUSTED
    ours = next(a for a in active["assertions"] if a["label"] == "org.evidence-system.redaction")
    assert ours["data"]["provenance_sha256"] == hashlib.sha256(record_json).hexdigest()

    redacted.path.unlink()
    released.unlink()
    assert original.read_bytes() == before_bytes and sha256(original) == before_sum
