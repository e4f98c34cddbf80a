"""Manifests round-trip canonically; verification names the parts that differ."""

from __future__ import annotations

import io
import json

import pytest

from hashing import MIN_PART_SIZE, Manifest, ManifestError, hash_file, verify_file, verify_range
from hashing import manifest as manifest_mod

PART = MIN_PART_SIZE


@pytest.fixture
def clip(make_file):
    path = make_file(4 * PART + 100)
    return path, Manifest.from_digest(hash_file(path, PART))


def flip(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("part", [1, 2, 3, 4, 5])
def test_flipped_byte_is_pinpointed_to_its_part(clip, part):
    path, manifest = clip
    flip(path, (part - 1) * PART + 7)
    result = verify_file(path, manifest)
    assert not result.ok
    assert result.bad_parts == (part,)
    assert f"bad parts: {part}" in result.describe()


def test_untouched_file_verifies(clip):
    path, manifest = clip
    result = verify_file(path, manifest)
    assert result.ok and result.bad_parts == ()


def test_shorter_file_names_size_and_last_parts(clip):
    path, manifest = clip
    path.write_bytes(path.read_bytes()[: 3 * PART])
    result = verify_file(path, manifest)
    assert not result.ok
    assert result.size_actual == 3 * PART
    assert result.bad_parts == (4, 5)
    assert "size differs" in result.describe()


def test_byte_range_verification(clip):
    path, manifest = clip
    flip(path, 2 * PART + 1)  # part 3
    data = path.read_bytes()
    good = verify_range(io.BytesIO(data[PART : 2 * PART]), manifest, PART, 2 * PART)
    assert good.ok and good.checked_parts == (2,)
    bad = verify_range(io.BytesIO(data[PART:]), manifest, PART, manifest.size)
    assert bad.bad_parts == (3,) and bad.checked_parts == (2, 3, 4, 5)
    with pytest.raises(ValueError, match="part boundary"):
        verify_range(io.BytesIO(data), manifest, 5, PART)


def test_manifest_is_canonical_and_round_trips(clip):
    _, manifest = clip
    text = manifest.dumps()
    assert " " not in text and text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    assert manifest_mod.loads(text) == manifest
    fields = {"version", "algorithm", "size", "sha256", "part_size", "parts", "composite"}
    assert set(json.loads(text)) == fields


def _broken(clip, **changes):
    data = clip[1].as_dict()
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"version": 2}, "version"),
        ({"algorithm": "md5"}, "algorithm"),
        ({"size": -1}, "size"),
        ({"size": "12"}, "size"),
        ({"sha256": "XYZ"}, "sha256"),
        ({"part_size": 0}, "part_size"),
        ({"parts": ["ab"]}, "parts"),
        ({"composite": "AAAA-5"}, "composite"),
        ({"size": 1}, "parts listed"),
        ({"extra": 1}, "unknown field"),
    ],
)
def test_malformed_manifest_is_refused_clearly(clip, changes, words):
    with pytest.raises(ManifestError, match=words):
        manifest_mod.loads(_broken(clip, **changes))


def test_not_json_and_missing_fields():
    with pytest.raises(ManifestError, match="not valid JSON"):
        manifest_mod.loads("{nope")
    with pytest.raises(ManifestError, match="lacks"):
        manifest_mod.loads("{}")
