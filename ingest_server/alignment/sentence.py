"""The plain sentence a custody report or court package carries for one alignment.

A pure function of the result, the two clips' labels and where each clip
starts on its own camera's clock: "Body camera SIM390062 runs 2.41 s ± 0.02 s
ahead of the dashcam of V17, from their audio; at collection their clocks
disagreed by 2.9 s".

"A runs x ahead of B" means: for the same sound, A's clock read x more than B's.
It is stated in the middle of the stretch the two clips share (where the
estimate is most certain). The uncertainty is rounded up to one significant
digit, never below 1 ms, and the value to the same decimal place, so the
sentence never claims more than the numbers hold. A drift is mentioned only when
it exceeds its own uncertainty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from ingest_server.alignment.estimate import Alignment


@dataclass(frozen=True)
class ClipSide:
    label: str  # e.g. "Body camera SIM390062", "the dashcam of V17"
    clock_start: datetime  # the clip's first sample, on its own camera's clock (aware)


def _decimals(u: float) -> int:
    return min(3, max(0, -math.floor(math.log10(u)))) if u > 0 else 3


def _round_up(u: float, decimals: int) -> float:
    scale = 10**decimals
    return max(math.ceil(u * scale - 1e-9), 1) / scale


def clock_difference(result: Alignment, first: ClipSide, second: ClipSide) -> tuple[float, float]:
    """(how far first's clock reads ahead of second's for the same sound, its uncertainty), in seconds."""
    t = result.reference_s
    recorded = (first.clock_start - second.clock_start).total_seconds()
    return recorded - result.offset_at(t), result.offset_uncertainty_at(t)


def sentence(
    result: Alignment, first: ClipSide, second: ClipSide, *, collection_disagreement_s: float | None = None
) -> str:
    """`result` aligns `first` (clip A) to `second` (clip B), in media times from each clip's start."""
    if not result.aligned:
        return f"{first.label} and {second.label} could not be aligned from their audio: {result.reason}."
    ahead, u = clock_difference(result, first, second)
    d = _decimals(u)
    u_text = f"{_round_up(u, d):.{d}f} s"
    if round(abs(ahead), d) == 0:
        text = f"{first.label} and {second.label} run together to within {u_text}, from their audio"
    else:
        way = "ahead of" if ahead > 0 else "behind"
        text = f"{first.label} runs {abs(ahead):.{d}f} s ± {u_text} {way} {second.label}, from their audio"
    if abs(result.drift_ppm) > result.drift_uncertainty_ppm:
        ud = result.drift_uncertainty_ppm
        dd = min(2, max(0, -math.floor(math.log10(ud)))) if ud > 0 else 2
        verb = "gains" if result.drift_ppm > 0 else "loses"
        text += (
            f"; the clock of {second.label} {verb} {abs(result.drift_ppm):.{dd}f} ppm "
            f"± {_round_up(ud, dd):.{dd}f} ppm against that of {first.label}"
        )
    if collection_disagreement_s is not None:
        text += f"; at collection their clocks disagreed by {abs(collection_disagreement_s):.1f} s"
    return text
