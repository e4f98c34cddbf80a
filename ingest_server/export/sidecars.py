"""A clip's related files (sidecars) in the court package.

    <bag>/data/sidecars/<clip file name>/<name on the camera, made safe>

Each is streamed from its locked version in the store and hashed as it is written;
a SHA-256 or size that differs from the index stops the export. `listed` is what the
clip's custody record (data/custody/<file>.custody.json) and report say of them;
verify_package.py checks each file against it and against the signed receipt.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from sqlalchemy.orm import Session

from ingest_server.clips.models import Clip
from ingest_server.export.copying import copy_hashed
from ingest_server.related import service as related_files
from ingest_server.related.models import RelatedFile
from ingest_server.storage import Storage

FOLDER = "sidecars"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class SidecarExportError(Exception):
    pass


def package_paths(rows: list[RelatedFile], clip_file: str) -> dict[str, str]:
    """related id -> path under data/ (distinct within the clip's folder)."""
    out, taken = {}, set()
    for row in rows:
        base = _UNSAFE.sub("_", PurePosixPath(row.name.replace("\\", "/")).name).strip("._") or "sidecar"
        name, n = base, 2
        while name.lower() in taken:
            name, n = f"{n}_{base}", n + 1
        taken.add(name.lower())
        out[row.id] = f"{FOLDER}/{clip_file}/{name}"
    return out


def listed(*, session: Session, clip: Clip, clip_file: str) -> list[dict]:
    rows = related_files.of_clip(session=session, clip_id=clip.id)
    paths = package_paths(rows, clip_file)
    return [
        {"name": r.name, "kind": r.kind, "size": r.size, "sha256": r.sha256, "path": paths[r.id]}
        for r in rows
    ]


def copy_all(*, session: Session, storage: Storage, clip: Clip, clip_file: str, data_dir: Path) -> list[dict]:
    """Write the clip's stored related files under data/; what `listed` says of them."""
    rows = related_files.of_clip(session=session, clip_id=clip.id)
    paths = package_paths(rows, clip_file)
    for row in rows:
        target = data_dir / paths[row.id]
        target.parent.mkdir(parents=True, exist_ok=True)
        sha256, size = copy_hashed(storage, row.object_key, row.version_id, target)
        if sha256 != row.sha256 or size != row.size:
            raise SidecarExportError(
                f"clip {clip.id} related file {row.name}: the store returned {size} bytes with SHA-256 "
                f"{sha256}, the index holds {row.size} bytes with SHA-256 {row.sha256}"
            )
    return listed(session=session, clip=clip, clip_file=clip_file)
