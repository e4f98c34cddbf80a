"""The court sentence: a pure function of the result, the labels and the clocks' start times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest_server.alignment import Alignment, ClipSide, sentence

T0 = datetime(2026, 3, 14, 14, 0, tzinfo=UTC)
BODY, DASH = "Body camera SIM390062", "the dashcam of V17"


def _result(offset_s: float, *, u: float = 0.01, drift: float = 0.0, u_drift: float = 1.0) -> Alignment:
    return Alignment(
        True,
        "12 of 12 windows with a clear peak agree",
        offset_s=offset_s,
        drift_ppm=drift,
        offset_uncertainty_s=u,
        drift_uncertainty_ppm=u_drift,
        reference_s=60.0,
    )


def test_the_issue_example():
    # The body camera's clip starts at 14:00:10.00 on its clock, the dashcam's at 14:00:00.00 on its own.
    # Its sounds are heard 7.59 s later in the dashcam's clip: its clock reads 10 - 7.59 = 2.41 s ahead.
    text = sentence(
        _result(7.59),
        ClipSide(BODY, T0 + timedelta(seconds=10)),
        ClipSide(DASH, T0),
        collection_disagreement_s=2.9,
    )
    assert text == (
        "Body camera SIM390062 runs 2.41 s ± 0.01 s ahead of the dashcam of V17, from their audio; "
        "at collection their clocks disagreed by 2.9 s"
    )


def test_behind_and_the_uncertainty_is_never_rounded_down():
    text = sentence(_result(1.25, u=0.0123), ClipSide(BODY, T0), ClipSide(DASH, T0))
    assert text == "Body camera SIM390062 runs 1.25 s ± 0.02 s behind the dashcam of V17, from their audio"


def test_a_significant_drift_is_stated_with_its_uncertainty():
    text = sentence(
        _result(0.5, u=0.00002, drift=-50.04, u_drift=0.6), ClipSide(BODY, T0), ClipSide(DASH, T0)
    )
    assert text == (
        "Body camera SIM390062 runs 0.500 s ± 0.001 s behind the dashcam of V17, from their audio; "
        "the clock of the dashcam of V17 loses 50.0 ppm ± 0.6 ppm against that of Body camera SIM390062"
    )


def test_clocks_in_step():
    text = sentence(_result(0.0002, u=0.004), ClipSide(BODY, T0), ClipSide(DASH, T0))
    assert (
        text
        == "Body camera SIM390062 and the dashcam of V17 run together to within 0.004 s, from their audio"
    )


def test_not_aligned_says_why_and_gives_no_number():
    result = Alignment(
        False, "no common sound found: none of 7 stretches of 30 s has a clear correlation peak"
    )
    text = sentence(result, ClipSide(BODY, T0), ClipSide(DASH, T0))
    assert text == (
        "Body camera SIM390062 and the dashcam of V17 could not be aligned from their audio: "
        "no common sound found: none of 7 stretches of 30 s has a clear correlation peak."
    )
