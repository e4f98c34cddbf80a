"""Build the court package: a BagIt bag (RFC 8493), zipped.

    <bag>/bagit.txt, bag-info.txt (report, share, recipient, exporter, time)
    <bag>/manifest-sha256.txt, tagmanifest-sha256.txt
    <bag>/data/<officer>_<date>_<time>Z_<camera>.<ext>      the originals, bytes unchanged
    <bag>/data/sidecars/<that name>/<sidecar>              each original's related files (export/sidecars.py)
    <bag>/data/chain-of-custody/<same name>.csv, .html, .pdf  every audit event of that clip (PDF: A4)
    <bag>/data/README.txt                                  how to check it
    <bag>/data/custody/                                    the proofs and their checker (export/proofs.py)

Each original is streamed from the store and hashed as it is written; a SHA-256
that differs from the index stops the export (the store is not trusted). The bag
is validated with the `bagit` package before it is zipped, and the manifest is
compared with the index once more. Each clip gets a `clip.exported` audit event
before its custody report is written, so the report includes this export.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import bagit
from sqlalchemy.orm import Session

from ingest_server.alignment import service as alignment
from ingest_server.audit import service as audit
from ingest_server.clips.models import STORED, Clip
from ingest_server.context import ServerContext
from ingest_server.export import custody, custody_pdf, proofs, sidecars
from ingest_server.export.copying import copy_hashed
from ingest_server.export.naming import safe_part, unique_names
from ingest_server.storage import Storage

CUSTODY_DIR = "chain-of-custody"
README = """This package is a BagIt bag (RFC 8493).

Originals: the files in data/ are the recordings exactly as they left the cameras.
Sidecars: data/sidecars/<file>/ holds the files the camera wrote beside each
recording (XML, JSON, CSV, GPS tracks), exactly as they left the camera; their
SHA-256s are in manifest-sha256.txt, in the signed receipt and in the custody record.
Check one:   sha256sum "data/<file>"   (or: certutil -hashfile "data\\<file>" SHA256)
and compare with its line in manifest-sha256.txt and with the SHA-256 in its
chain-of-custody report (data/chain-of-custody/<file>.html).
Check all:   python -m bagit --validate <this folder>

Check everything, with nothing but Python 3 (no other software, no network):
             python3 data/custody/verify_package.py
It checks every file against manifest-sha256.txt, recomputes the hash of every
custody event (data/custody/<file>.custody.json) and its place in the audit chain
(data/custody/chain.txt), verifies every signed receipt and the signed checkpoint
of the audit chain (data/custody/checkpoints.json) with the server's public key
(data/custody/receipt-key.pem), and prints VERIFIED or NOT VERIFIED with each
problem named.

How an event hash is made: SHA-256 of the JSON object of its fields seq,
occurred_at, component, event_type, actor, outcome, object_type, object_id,
source, detail, prev_hash (keys sorted, separators "," and ":", no spaces,
non-ASCII escaped as \\uXXXX, ASCII bytes). detail is a JSON text (a string).
prev_hash is the hash of the event before it in the server's log (64 zeros for
the first), so the events form one chain; chain.txt lists every link from this
package's first event to the checkpoint (events of other objects by hash only).
A receipt or checkpoint is signed with Ed25519 over the JSON of its fields (keys
sorted, separators "," and ":", UTF-8).
An event the car signed (component "agent": docked, clock read, copied and
hashed, receipt received, camera copy deleted...) holds in its detail the
car's payload and its Ed25519 signature over the same JSON of that payload;
the car's public key is in data/custody/device-keys.json, by fingerprint.
"""
BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


class ExportError(Exception):
    pass


@dataclass(frozen=True)
class Package:
    path: Path
    bag_name: str
    names: dict[str, str]  # clip id -> file name under data/
    sha256: str  # of the zip


def _copy_original(storage: Storage, clip: Clip, target: Path) -> None:
    sha256, size = copy_hashed(storage, clip.object_key, clip.version_id, target)
    if sha256 != clip.sha256 or size != clip.size:
        raise ExportError(
            f"clip {clip.id}: the store returned {size} bytes with SHA-256 {sha256}, "
            f"the index holds {clip.size} bytes with SHA-256 {clip.sha256}; export refused"
        )


def _declare_bagit_1_0(bag_dir: Path) -> None:
    """The bagit package writes version 0.97; this bag is RFC 8493 (1.0): say so, re-list the tags."""
    (bag_dir / "bagit.txt").write_text(BAGIT_TXT, encoding="utf-8")
    lines = []
    for path in sorted(p for p in bag_dir.iterdir() if p.is_file() and not p.name.startswith("tagmanifest-")):
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()} {path.name}\n")
    (bag_dir / "tagmanifest-sha256.txt").write_text("".join(lines), encoding="utf-8")


def _zip(bag_dir: Path, bag_name: str, out: Path) -> str:
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        for path in sorted(p for p in bag_dir.rglob("*") if p.is_file()):
            text = path.suffix in (".txt", ".csv", ".html")
            archive.write(
                path,
                f"{bag_name}/{path.relative_to(bag_dir).as_posix()}",
                compress_type=zipfile.ZIP_DEFLATED if text else zipfile.ZIP_STORED,
            )
    digest = hashlib.sha256()
    with open(out, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def build(
    *,
    session: Session,
    storage: Storage,
    clips: list[Clip],
    exporter: str,
    now: datetime,
    out_dir: Path,
    report_id: str | None = None,
    share=None,
    source: str | None = None,
    ctx: ServerContext | None = None,
) -> Package:
    """Write `<out_dir>/<bag>.zip` for `clips`; audited (commits). Raises ExportError."""
    if not clips:
        raise ExportError("nothing to export: no clips")
    not_stored = [c.id for c in clips if c.state != STORED]
    if not_stored:
        raise ExportError(f"clips not stored, cannot export: {', '.join(not_stored)}")
    # a report number or share id is data, never a path: reports made before numbers were
    # restricted may hold '/' or '..'
    label = safe_part(report_id or (share.id if share else None), "clips")
    bag_name = f"evidence-{label}-{now:%Y%m%dT%H%M%SZ}"
    names = unique_names(clips)
    if (Path(out_dir) / f"{bag_name}.zip").resolve().parent != Path(out_dir).resolve():
        raise ExportError(f"package name {bag_name!r} would leave the export folder")
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir))
    try:
        bag_dir = work / bag_name
        (bag_dir / CUSTODY_DIR).mkdir(parents=True)
        related = {}
        for clip in clips:
            _copy_original(storage, clip, bag_dir / names[clip.id])
            related[clip.id] = sidecars.copy_all(
                session=session, storage=storage, clip=clip, clip_file=names[clip.id], data_dir=bag_dir
            )
        for clip in clips:
            audit.append(
                session=session,
                component="export",
                event_type="clip.exported",
                actor=exporter,
                outcome="success",
                object_type="clip",
                object_id=clip.id,
                source=source,
                detail={
                    "package": bag_name,
                    "file": names[clip.id],
                    "report_id": report_id,
                    "share_id": share.id if share else None,
                    "recipient": share.recipient if share else None,
                },
                clock=lambda: now,
            )
        session.commit()
        aligned = alignment.accepted_by_clip(session=session, clips=clips)
        if ctx is not None:  # signed checkpoint, chain, receipts, key and the checker
            proofs.write(session=session, ctx=ctx, data_dir=bag_dir, clips=clips, names=names)
        for clip in clips:
            events = custody.trail(session=session, clip_id=clip.id)
            stem = bag_dir / CUSTODY_DIR / names[clip.id]
            Path(f"{stem}.csv").write_bytes(custody.to_csv(events))
            Path(f"{stem}.html").write_bytes(
                custody.to_html(
                    clip,
                    events,
                    file_name=names[clip.id],
                    generated_at=now,
                    exporter=exporter,
                    alignments=aligned[clip.id],
                    names=names,
                    related=related[clip.id],
                )
            )
            Path(f"{stem}.pdf").write_bytes(
                custody_pdf.to_pdf(
                    clip,
                    events,
                    file_name=names[clip.id],
                    generated_at=now,
                    exporter=exporter,
                    related=related[clip.id],
                )
            )
        (bag_dir / "README.txt").write_text(README)
        info = {
            "Source-Organization": "Evidence custodian",
            "Bagging-Date": now.strftime("%Y-%m-%d"),
            "Export-Time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Exporter": exporter,
            "External-Description": f"{len(clips)} original recording(s) with chain-of-custody reports",
        }
        if report_id:
            info["Report-Id"] = report_id
        if share is not None:
            info.update({"Share-Id": share.id, "Recipient": share.recipient})
        bagit.make_bag(str(bag_dir), info, checksums=["sha256"])
        _declare_bagit_1_0(bag_dir)
        bag = bagit.Bag(str(bag_dir))
        bag.validate()
        for clip in clips:
            listed = bag.entries[f"data/{names[clip.id]}"]["sha256"]
            if listed != clip.sha256:
                raise ExportError(f"manifest lists {listed} for {names[clip.id]}, the index {clip.sha256}")
        out = out_dir / f"{bag_name}.zip"
        digest = _zip(bag_dir, bag_name, out)
    except bagit.BagError as exc:
        raise ExportError(f"the bag does not validate: {exc}") from exc
    except sidecars.SidecarExportError as exc:
        raise ExportError(f"{exc}; export refused") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    audit.append(
        session=session,
        component="export",
        event_type="export.created",
        actor=exporter,
        outcome="success",
        object_type="share" if share else ("report" if report_id else None),
        object_id=share.id if share else report_id,
        source=source,
        detail={
            "package": bag_name,
            "zip_sha256": digest,
            "clips": [c.id for c in clips],
            "report_id": report_id,
        },
        clock=lambda: now,
    )
    session.commit()
    return Package(out, bag_name, names, digest)
