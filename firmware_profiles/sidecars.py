"""Reading files from a camera volume safely, and the sidecar parsers.

A camera volume is untrusted input. `read_volume_file` refuses symlinks (at any
step of the path), FIFOs, devices and files over `MAX_SIDECAR_BYTES`, and never
blocks on a special file. The parsers turn JSON, XML and a CSV index row into
the same shape (nested dicts and lists of strings) that `lookup` walks with a
dotted path; XML attributes are keys starting with '@', element text without
attributes or children is a plain string, namespaces are dropped. Every failure
is a `SidecarError` whose message says what is wrong; callers turn it into a
warning, because a clip with a broken sidecar is still evidence.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import threading
import time
import xml.etree.ElementTree as ET
from collections import OrderedDict
from pathlib import Path, PurePosixPath
from typing import Any

from firmware_profiles.schema import SidecarSpec

MAX_SIDECAR_BYTES = 16 * 1024 * 1024


class SidecarError(Exception):
    """A volume file could not be read or parsed; the message says why."""


def is_volume_file(root: Path, relpath: PurePosixPath) -> bool:
    """Whether `relpath` is a regular file inside the volume, reached without any symlink."""
    current = Path(root)
    try:
        for part in relpath.parts[:-1]:
            current = current / part
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                return False
        return stat.S_ISREG(os.lstat(current / relpath.name).st_mode)
    except OSError:
        return False


def read_volume_file(root: Path, relpath: PurePosixPath, limit: int = MAX_SIDECAR_BYTES) -> bytes:
    """The bytes of a regular file inside the volume, never through a symlink."""
    current = Path(root)
    for part in relpath.parts[:-1]:
        current = current / part
        try:
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                raise SidecarError(f"{part!r} in the path is not a folder (symlinks are not followed)")
        except FileNotFoundError:
            raise SidecarError("missing") from None
    try:
        fd = os.open(Path(root) / relpath, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise SidecarError("missing") from None
    except OSError as exc:
        reason = "is a symlink (not followed)" if os.path.islink(Path(root) / relpath) else exc.strerror
        raise SidecarError(str(reason)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SidecarError("not a regular file (FIFO, device or folder): skipped")
        if st.st_size > limit:
            raise SidecarError(f"{st.st_size} bytes, over the {limit}-byte limit for sidecars")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit + 1)[:limit]
    except OSError as exc:
        raise SidecarError(f"unreadable: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def parse_json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SidecarError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise SidecarError("JSON nested too deeply") from None


def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _element_tree(elem: ET.Element) -> Any:
    node: dict[str, Any] = {"@" + _strip_ns(k): v for k, v in elem.attrib.items()}
    children: dict[str, list[Any]] = {}
    for child in elem:
        children.setdefault(_strip_ns(child.tag), []).append(_element_tree(child))
    node.update({k: v[0] if len(v) == 1 else v for k, v in children.items()})
    text = (elem.text or "").strip()
    if not node:
        return text
    if text:
        node["#text"] = text
    return node


def parse_xml(data: bytes) -> Any:
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        # Entity expansion is the classic XML bomb; camera sidecars have no reason to declare entities.
        raise SidecarError("XML with a DOCTYPE or entity declarations is refused")
    try:
        root = ET.fromstring(data)
        return {_strip_ns(root.tag): _element_tree(root)}
    except (ET.ParseError, LookupError, ValueError) as exc:  # LookupError: unknown declared encoding
        raise SidecarError(f"not valid XML: {exc}") from None
    except RecursionError:
        raise SidecarError("XML nested too deeply") from None


def parse_csv_index(data: bytes, spec: SidecarSpec) -> dict[str, dict[str, str]]:
    """Rows of a CSV index by clip file name (case-folded; the first row for a name wins)."""
    try:
        text = data.decode(spec.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SidecarError(f"cannot decode as {spec.encoding}: {exc}") from None
    rows: dict[str, dict[str, str]] = {}
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=spec.delimiter)
        if reader.fieldnames is None or spec.key_column not in reader.fieldnames:
            raise SidecarError(f"no column {spec.key_column!r} (columns: {reader.fieldnames})")
        for row in reader:
            key = (row.get(spec.key_column) or "").strip().casefold()
            rows.setdefault(key, {k: (v or "").strip() for k, v in row.items() if k is not None})
    except csv.Error as exc:
        raise SidecarError(f"not valid CSV: {exc}") from None
    return rows


def parse_csv_row(data: bytes, spec: SidecarSpec, clip_name: str) -> dict[str, str]:
    """The row of a CSV index whose key column names the clip (compared case-insensitively)."""
    row = parse_csv_index(data, spec).get(clip_name.casefold())
    if row is None:
        raise SidecarError(f"no row for {clip_name!r}")
    return row


_INDEX_CACHE: OrderedDict[tuple, dict[str, dict[str, str]]] = OrderedDict()
_INDEX_LOCK = threading.Lock()
_INDEX_CACHE_SIZE = 16
_RACY_NS = 3_000_000_000


def read_csv_row(root: Path, relpath: PurePosixPath, spec: SidecarSpec, clip_name: str) -> dict[str, str]:
    """`parse_csv_row` of a volume's index file, parsing each index once while it is unchanged.

    A day folder of a few thousand clips shares one index: without the cache, reading every
    clip's metadata would parse it once per clip.
    """
    try:
        st = os.lstat(Path(root) / relpath)
        key = (
            str(Path(root) / relpath),
            st.st_dev,
            st.st_ino,
            st.st_size,
            st.st_mtime_ns,
            spec.key_column,
            spec.delimiter,
            spec.encoding,
        )
    except OSError:
        key = None
    with _INDEX_LOCK:
        rows = _INDEX_CACHE.get(key) if key else None
        if rows is not None and key is not None:
            _INDEX_CACHE.move_to_end(key)
    if rows is None:
        rows = parse_csv_index(read_volume_file(root, relpath), spec)
        # Like git's "racy" check: a file modified within the last seconds may change again without
        # its size or mtime changing (coarse timestamps), so it is not cached yet.
        if key is not None and time.time_ns() - key[4] > _RACY_NS:
            with _INDEX_LOCK:
                _INDEX_CACHE[key] = rows
                while len(_INDEX_CACHE) > _INDEX_CACHE_SIZE:
                    _INDEX_CACHE.popitem(last=False)
    row = rows.get(clip_name.casefold())
    if row is None:
        raise SidecarError(f"no row for {clip_name!r}")
    return row


def _children(node: Any, key: str) -> list[Any]:
    if isinstance(node, list):
        return [c for item in node for c in _children(item, key)]
    if isinstance(node, dict) and key in node:
        value = node[key]
        return value if isinstance(value, list) else [value]
    return []


def lookup_all(tree: Any, dotted: str) -> list[Any]:
    """Every node at a dotted path; lists met on the way are walked through."""
    nodes = [tree]
    if dotted == ".":
        return nodes
    for key in dotted.split("."):
        nodes = [c for n in nodes for c in _children(n, key)]
    return nodes


def lookup(tree: Any, dotted: str) -> str | None:
    """The first scalar at a dotted path, as a string (None if absent or not a scalar)."""
    for node in lookup_all(tree, dotted):
        if isinstance(node, dict) and "#text" in node:
            node = node["#text"]
        if isinstance(node, bool):
            return "true" if node else "false"
        if isinstance(node, str | int | float):
            return str(node)
    return None
