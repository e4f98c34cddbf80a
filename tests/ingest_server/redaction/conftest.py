"""Footage made once per module (a few seconds at 640×360), one detector per session."""

from __future__ import annotations

import hashlib

import pytest

from ingest_server.redaction.detect import FaceDetector
from tests.ingest_server.redaction import footage


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def detector():
    return FaceDetector()


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """The original: H.264 + AAC, read-only on disk, as a stored original is."""
    path = tmp_path_factory.mktemp("original") / "clip.mp4"
    made = footage.make(path)
    path.chmod(0o444)
    return made
