"""The custody report a clerk can print: a PDF per clip in the court package (A4)
and from the console and the API (A4 or Letter). pdftotext (poppler, a tool the
project did not write) must find every event's full hash, the plain-word events,
the flags, the clock offset with its uncertainty and each sidecar's name, size and full
hash; nothing is cut."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import zipfile

import pytest

from tests.ingest_server.helpers import clip_bytes
from tests.ingest_server.related_helpers import FILES, upload_with_related
from tests.portal.conftest import sign_in
from tests.portal.test_shares import _share_id, make_share
from tests.support import debian


@pytest.fixture(autouse=True)
def _poppler():
    """pdftotext and pdfinfo: Debian's poppler-utils, installed when missing (else the test skips)."""
    debian.tool("pdftotext", "poppler-utils")


def _text(pdf: bytes, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftotext", str(path), str(tmp_path / f"{name}.txt")], check=True, timeout=60)
    return " ".join((tmp_path / f"{name}.txt").read_text().split())  # wrapped lines joined


def _page_size(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "size.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return re.search(r"Page size:\s+(.*)", info).group(1)


def test_the_package_pdf_holds_every_events_full_hash(client, people, ctx, stored, tmp_path):
    sign_in(client)
    make_share(client, list(stored), allow_download="1")
    package = client.get(f"/portal/shares/{_share_id(ctx)}/package.zip")
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        names = archive.namelist()
        pdfs = [n for n in names if n.endswith(".mp4.pdf")]
        assert len(pdfs) == 2
        for n, pdf_name in enumerate(pdfs):
            file_name = pdf_name.split("/")[-1].removesuffix(".pdf")
            record = json.loads(
                archive.read(next(x for x in names if x.endswith(f"{file_name}.custody.json")))
            )
            pdf = archive.read(pdf_name)
            assert "A4" in _page_size(pdf, tmp_path)
            text = _text(pdf, tmp_path, f"clip{n}")
            assert len(record["events"]) >= 4
            for event in record["events"]:
                assert event["hash"] in text, f"event {event['seq']}'s hash is cut or missing"
            assert record["clip"]["sha256"] in text
            assert "Copied into court package" in text and "Shared with ADA Jane Roe" in text
            assert "Stored in the evidence store under Object Lock" in text


def test_console_and_api_offer_the_pdf_in_a4_and_letter(client, people, ctx, stored, tmp_path):
    clip_id = list(stored)[0]
    sign_in(client)
    page = client.get(f"/portal/clips/{clip_id}").text
    assert f'href="/portal/clips/{clip_id}/custody.pdf"' in page
    a4 = client.get(f"/portal/clips/{clip_id}/custody.pdf")
    assert a4.status_code == 200 and a4.headers["content-type"] == "application/pdf"
    assert "custody-B1234_2026-11-24_100002Z_X81234.mp4.pdf" in a4.headers["content-disposition"]
    assert "A4" in _page_size(a4.content, tmp_path)
    letter = client.get(f"/api/v1/clips/{clip_id}/custody.pdf?paper=letter", headers=people.auth("auditor"))
    assert letter.status_code == 200 and "letter" in _page_size(letter.content, tmp_path)
    text = _text(letter.content, tmp_path, "letter")
    assert "-2.000 s (camera clock minus true time)" in text  # helpers.metadata's offset
    refused = client.get(f"/api/v1/clips/{clip_id}/custody.pdf", headers=people.auth("trooper"))
    assert refused.status_code == 403
    assert (
        client.get(
            f"/api/v1/clips/{clip_id}/custody.pdf?paper=a3", headers=people.auth("auditor")
        ).status_code
        == 422
    )


def test_the_pdf_lists_each_sidecar_with_its_full_hash_on_a4_and_letter(client, people, ctx, tmp_path):
    """Every sidecar's name on the camera (a long one wrapped, not cut), size and full SHA-256, in
    the package's A4 report (with its path in the package) and the API's Letter one."""
    long_name = "MEDIA/GPS/" + "B1234_20261124-100000_TRACK_SEGMENT_" * 5 + "END.JSON"
    files = {**FILES, long_name: b'{"segment": 1, "points": []}'}
    reg, _ = upload_with_related(client, people.auth("device"), clip_bytes(20_000, seed=53), files)

    def lists_every_sidecar(text: str, in_package: bool) -> None:
        heading = f"Sidecar files, related files of this recording ({len(files)})"
        assert heading in text
        text = text.split(heading, 1)[1].split("Sightings (", 1)[0]  # the section, not the events
        for name, body in files.items():
            assert hashlib.sha256(body).hexdigest() in text, f"{name}'s SHA-256 is cut or missing"
            assert name in text.replace(" ", ""), f"{name} is cut or missing"
            assert f"{len(body)} bytes" in text
        assert ("In this package: data/sidecars/" in text) is in_package

    sign_in(client)
    make_share(client, [reg["clip_id"]], allow_download="1")
    package = client.get(f"/portal/shares/{_share_id(ctx)}/package.zip")
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        [pdf_name] = [n for n in archive.namelist() if n.endswith(".mp4.pdf")]
        pdf = archive.read(pdf_name)
    assert "A4" in _page_size(pdf, tmp_path)
    lists_every_sidecar(_text(pdf, tmp_path, "a4"), in_package=True)

    letter = client.get(
        f"/api/v1/clips/{reg['clip_id']}/custody.pdf?paper=letter", headers=people.auth("auditor")
    )
    assert letter.status_code == 200 and "letter" in _page_size(letter.content, tmp_path)
    lists_every_sidecar(_text(letter.content, tmp_path, "letter"), in_package=False)
