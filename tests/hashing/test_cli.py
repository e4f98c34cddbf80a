"""`evidence-hash` as a user runs it: the installed console script."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest

from hashing import MIN_PART_SIZE

EXE = shutil.which("evidence-hash") or str(
    __import__("pathlib").Path(__import__("sys").executable).parent / "evidence-hash"
)


def run(*args):
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=60)


def test_json_output_has_the_promised_keys(make_file):
    path = make_file(MIN_PART_SIZE + 10)
    out = run(path, "--json", "--part-size", MIN_PART_SIZE)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"size", "sha256", "part_size", "parts", "s3_composite"}
    assert doc["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc["size"] == MIN_PART_SIZE + 10 and doc["part_size"] == MIN_PART_SIZE
    assert len(doc["parts"]) == 2 and doc["s3_composite"].endswith("-2")


def test_default_output_reads_like_sha256sum(make_file):
    path = make_file(1000)
    out = run(path)
    assert out.returncode == 0
    assert out.stdout.splitlines()[0] == f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path}"


def test_verify_exit_codes(make_file, tmp_path):
    path = make_file(3 * MIN_PART_SIZE)
    manifest = tmp_path / "clip.manifest.json"
    assert run(path, "--manifest", manifest, "--part-size", MIN_PART_SIZE).returncode == 0

    ok = run("verify", path, manifest)
    assert ok.returncode == 0 and "OK" in ok.stdout

    data = bytearray(path.read_bytes())
    data[MIN_PART_SIZE + 5] ^= 0xFF
    path.write_bytes(bytes(data))
    bad = run("verify", path, manifest)
    assert bad.returncode == 1
    assert "bad parts: 2" in bad.stdout

    missing = run("verify", tmp_path / "nope.mp4", manifest)
    assert missing.returncode == 2 and "error" in missing.stderr

    manifest.write_text('{"version": 1}')
    malformed = run("verify", path, manifest)
    assert malformed.returncode == 2 and "lacks" in malformed.stderr


@pytest.mark.parametrize("args", [["--part-size", "1024"], ["/no/such/file"]])
def test_bad_input_is_an_error_not_a_traceback(make_file, args):
    path = make_file(10)
    out = run(*(args if args[0].startswith("/") else [path, *args]))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and "error" in out.stderr


def test_manifest_is_never_overwritten(make_file, tmp_path):
    path = make_file(10)
    manifest = tmp_path / "m.json"
    manifest.write_text("keep me")
    out = run(path, "--manifest", manifest)
    assert out.returncode == 2
    assert manifest.read_text() == "keep me"
