"""Where each clip of a report sits on one time axis: pure, no database.

A clip's media time t at timeline time T is `t = rate · (T − start)`. Clips
joined by accepted alignments are placed from one reference clip (the earliest
by corrected time in each group) along the accepted pairs: the reference keeps
its corrected start and rate 1; a clip aligned to a placed one follows
t_B = t_A + offset + drift·1e-6·(t_A − reference) exactly. A clip with no
accepted alignment stays on its corrected time (and says so).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    offset_s: float
    drift_ppm: float
    reference_s: float
    offset_uncertainty_s: float


@dataclass(frozen=True)
class Placement:
    start: float  # timeline seconds (epoch) at the clip's media time 0
    rate: float  # media seconds per timeline second
    base: str  # "audio" or "corrected"
    reference: str  # the clip the group is aligned to (itself for the reference and corrected clips)
    uncertainty_s: float | None  # of the placement against the reference (audio); None on corrected time


def place(starts: dict[str, float], edges: list[Edge]) -> dict[str, Placement]:
    """`starts`: clip id -> corrected start (epoch seconds); `edges`: the accepted alignments."""
    neighbours: dict[str, list[tuple[str, Edge]]] = {c: [] for c in starts}
    for e in edges:
        if e.a in starts and e.b in starts:
            neighbours[e.a].append((e.b, e))
            neighbours[e.b].append((e.a, e))
    placed: dict[str, Placement] = {}
    for root in sorted(starts, key=lambda c: (starts[c], c)):
        if root in placed:
            continue
        base = "audio" if neighbours[root] else "corrected"
        placed[root] = Placement(starts[root], 1.0, base, root, 0.0 if neighbours[root] else None)
        todo = deque([root])
        while todo:
            known = todo.popleft()
            p = placed[known]
            for other, e in neighbours[known]:
                if other in placed:
                    continue
                k, c = 1 + e.drift_ppm * 1e-6, e.offset_s - e.drift_ppm * 1e-6 * e.reference_s
                if known == e.a:  # t_B = k·t_A + c
                    rate = k * p.rate
                    start = p.start - c / rate
                else:  # t_A = (t_B − c) / k
                    rate = p.rate / k
                    start = p.start + c / (k * p.rate)
                u = (p.uncertainty_s or 0.0) + e.offset_uncertainty_s
                placed[other] = Placement(start, rate, "audio", root, u)
                todo.append(other)
    return placed
