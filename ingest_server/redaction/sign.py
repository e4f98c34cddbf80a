"""Content Credentials (C2PA) on a released MP4, signed with the agency's certificate, and their check.

Signing rewrites the file (the manifest goes into the MP4), so it only ever applies to a derived copy
and always writes a new file (`atomic.new_file`); the unsigned copy is left as it was. Everything is
offline: no timestamp authority unless configured, trust decided by the anchors the caller passes.

The agency certificate must be a leaf issued by a CA (c2pa refuses a lone self-signed certificate),
EC P-256 (ES256), with an Organization, key usage digitalSignature and an extended key usage C2PA
accepts (emailProtection does). The manifest says what was done (`c2pa.created` from a capture, then
`c2pa.edited`: faces and sounds obscured) and carries an assertion of ours naming the parent's sha256
and the provenance record's sha256, so the credential and the provenance record point at each other.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import c2pa

from .atomic import Written, new_file

ASSERTION = "org.evidence-system.redaction"
MIME = "video/mp4"


class CredentialState(StrEnum):
    TRUSTED = "Trusted"  # signature valid and the signer chains to a trust anchor we gave
    VALID = "Valid"  # signature valid, signer not anchored
    INVALID = "Invalid"  # the bytes or the manifest do not match
    ABSENT = "Absent"  # no Content Credentials at all


@dataclass(frozen=True)
class AgencySigner:
    cert_chain_pem: bytes  # leaf first, then its issuers
    private_key_pem: bytes  # PKCS#8
    timestamp_url: str | None = None


class SignError(Exception):
    """Signing refused, with c2pa's reason."""


def manifest(*, title: str, parent_sha256: str, provenance_sha256: str, generator_version: str) -> dict:
    return {
        "claim_generator_info": [{"name": "evidence-system", "version": generator_version}],
        "title": title,
        "format": MIME,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
                        },
                        {
                            "action": "c2pa.edited",
                            "description": "faces and audio ranges obscured for release",
                        },
                    ]
                },
            },
            {
                "label": ASSERTION,
                "data": {"parent_sha256": parent_sha256, "provenance_sha256": provenance_sha256},
            },
        ],
    }


def sign_mp4(*, source: Path, destination: Path, signer: AgencySigner, manifest_json: dict) -> Written:
    """Write `source` with embedded Content Credentials to `destination` (new, complete or absent)."""
    try:
        info = c2pa.C2paSignerInfo(
            c2pa.C2paSigningAlg.ES256, signer.cert_chain_pem, signer.private_key_pem, signer.timestamp_url
        )
        with (
            c2pa.Signer.from_info(info) as c2pa_signer,
            c2pa.Builder(manifest_json) as builder,
            open(source, "rb") as src,
            new_file(destination) as (dst, written),
        ):
            builder.sign(c2pa_signer, MIME, src, dst)
    except c2pa.C2paError as exc:
        raise SignError(f"c2pa refused to sign {source.name}: {exc}") from exc
    return written


def check(data: bytes | Path, *, trust_anchors_pem: bytes) -> tuple[CredentialState, dict | None]:
    """The credential's state as c2pa reads it with only `trust_anchors_pem` trusted, and the active
    manifest (None when absent)."""
    settings = c2pa.Settings.from_dict(
        {
            "version": 1,
            "trust": {"trust_anchors": trust_anchors_pem.decode()},
            "verify": {"verify_trust": True},
        }
    )
    stream = io.BytesIO(data.read_bytes() if isinstance(data, Path) else data)
    try:
        with c2pa.Context(settings=settings) as context, c2pa.Reader(MIME, stream, None, context) as reader:
            return CredentialState(reader.get_validation_state()), reader.get_active_manifest()
    except c2pa.C2paError.ManifestNotFound:
        return CredentialState.ABSENT, None
    except c2pa.C2paError:  # a manifest too damaged to read is not a credential
        return CredentialState.INVALID, None
