"""`python -m firmware_profiles`: check files, list profiles, inspect what a profile reads from a volume."""

from __future__ import annotations

import io

from firmware_profiles import get_profile
from firmware_profiles.__main__ import main
from tests.firmware_profiles.conftest import small_volume, write_profile


def run(*argv):
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_check_reports_every_bad_file(tmp_path):
    write_profile(
        tmp_path, "a.toml", 'name = "a-cam"\nextends = "generic-dcim-bodycam"\nrelease = "delete"\n'
    )
    write_profile(tmp_path, "b.toml", 'name = "b-cam"\nkind = "mass_storage"\n')
    write_profile(tmp_path, "c.toml", 'name = "c-cam"\nextends = "a-cam"\nrelase = "keep"\n')
    code, out = run("check", str(tmp_path))
    lines = out.splitlines()
    assert code == 1 and lines[0] == f"ok    {tmp_path / 'a.toml'}"
    assert "b.toml: field 'description': required but missing" in lines[1]
    assert "c.toml: field 'relase': unknown field" in lines[2]
    assert run("check", str(tmp_path / "a.toml")) == (0, f"ok    {tmp_path / 'a.toml'}\n")


def test_inspect_shows_match_clock_and_metadata(builtin_profiles, tmp_path):
    profile = get_profile("json-sidecar-bodycam", builtin_profiles)
    volume = small_volume(profile, tmp_path / "cam", clips=2, odd_names=True, officer_id="B77")
    code, out = run("inspect", str(volume.root), "--clips", "10")
    assert code == 0
    assert out.startswith("matched: profile json-sidecar-bodycam (rule 0: marker_file='SYSTEM/device.json')")
    assert f"serial: {volume.device_serial}" in out
    assert out.count("officer=B77") == 5
    assert "_line\\nbreak.mp4: officer=B77" in out  # a newline in a name is shown escaped, on one line
    assert run("inspect", str(tmp_path))[0] == 1


def test_list_includes_extra_folders(tmp_path):
    write_profile(tmp_path, "x.toml", 'name = "x-cam"\nextends = "xml-gps-bodycam"\n')
    code, out = run("list", "--profile-dir", str(tmp_path))
    assert code == 0 and "x-cam" in out and "generic-uvc-dashcam" in out
    code, out = run("list", "--profile-dir", str(tmp_path / "missing"))
    assert code == 1 and "profile folder does not exist" in out


def test_inspect_refuses_usb_ids_that_are_not_vid_pid(tmp_path, capsys):
    for bad in ("1d6b", "1d6b:0104:1", "zz:0104"):
        try:
            main(["inspect", str(tmp_path), "--usb", bad], out=io.StringIO())
        except SystemExit as exc:
            assert exc.code == 2
        else:
            raise AssertionError(f"--usb {bad} was accepted")
        err = capsys.readouterr().err
        assert f"argument --usb: {bad!r} is not VID:PID in hex, e.g. 1d6b:0104" in err
        assert "Traceback" not in err


def test_inspect_matches_by_usb_ids(tmp_path):
    blank = tmp_path / "blank"  # no marker file: only the USB ids can match
    blank.mkdir()
    code, out = run("inspect", str(blank), "--usb", "1D6B:0104", "--clips", "0")
    assert code == 0
    assert out.startswith("matched: profile csv-index-bodycam (rule 1: usb_product=260, usb_vendor=7531)")
    assert run("inspect", str(blank), "--usb", "1d6b:0105")[0] == 1
