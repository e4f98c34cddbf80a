"""Audio alignment of two clips: pure numpy, no I/O, no clock.

`align(a, b, rate=..., params=...)` takes two mono signals at the same sample rate
and returns an `Alignment`: where each sound of clip A is heard in clip B,

    t_B = t_A + offset_s + drift_ppm * 1e-6 * (t_A - reference_s)

(media times in seconds from each clip's first sample), with the uncertainty of
each term, or `aligned=False` and a reason in words. It never guesses: a pair is
aligned only when independent stretches of the recordings agree.

How:
1. Coarse search over every possible lag. A is cut into segments; each is
   cross-correlated with the whole of B at a low rate with GCC-PHAT (the
   cross-spectrum is whitened to unit magnitude, so only phase counts and loud
   hum or a rumble cannot dominate the way it does in a plain correlation).
   A segment votes only when its peak stands clear of the side lobes
   (peak-to-sidelobe ratio, PSR) and of the second-best peak (periodic sounds such
   as sirens produce several). The lag most segments agree on, allowing for the
   largest drift we accept, wins; fewer than two agreeing segments is "not aligned".
2. Fine estimate in windows. Each window of A is correlated with the stretch of
   B the coarse line predicts (plus a margin) at the full rate; the peak is refined
   below one sample by parabolic interpolation of its three top values.
3. A straight line through the window lags (iteratively trimmed least squares,
   scale from the median absolute deviation) gives offset and drift; its standard
   errors, doubled (about 95 %), are the stated uncertainties, never below a
   quarter sample.

What it measures is when the sound reached each microphone: cameras 10 m apart
hear the same shout up to 29 ms apart (sound travels 343 m/s). That is a limit of
the method, not of the numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np

METHOD = "gcc-phat-windowed"
VERSION = "1"
_EPS = 1e-12


@dataclass(frozen=True)
class Parameters:
    """Every knob of the method; stored with each result so it can be re-run exactly."""

    rate: int = 8000  # Hz, the common rate both clips are resampled to
    coarse_rate: int = 2000  # Hz, for the search over every lag
    coarse_segment_s: float = 30.0
    coarse_min_psr: float = 8.0  # a segment votes only above this
    max_drift_ppm: float = 500.0  # larger drifts are not believed (crystals: 10-100 ppm)
    window_s: float = 8.0
    search_s: float = 0.1  # fine search half-width around the coarse prediction
    min_psr: float = 8.0  # a window counts only above this
    max_second_peak: float = 0.7  # rival peak / best peak: above this a peak is ambiguous (periodic sound)
    min_windows: int = 3  # agreeing windows needed for an alignment
    min_agreeing_fraction: float = 0.6  # of the windows with a clear peak

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Alignment:
    """Where clip A's sounds are heard in clip B (see the module docstring for the model)."""

    aligned: bool
    reason: str
    offset_s: float | None = None
    drift_ppm: float | None = None
    offset_uncertainty_s: float | None = None  # about 95 % (two standard errors)
    drift_uncertainty_ppm: float | None = None
    reference_s: float | None = None  # A's media time at which offset_s holds (middle of the windows used)
    confidence: float = 0.0  # median PSR of the windows used (0 when none)
    windows_used: int = 0
    windows_clear: int = 0  # windows with a clear peak
    windows_total: int = 0  # windows of A that overlap B
    overlap_s: float = 0.0
    residual_rms_s: float | None = None
    method: str = METHOD
    version: str = VERSION
    parameters: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Plain JSON-ready fields, for storing the result as a derived fact; `Alignment(**d)` restores it."""
        return asdict(self)

    def offset_at(self, t_a: float) -> float:
        """B's media time minus A's media time for a sound at A's media time `t_a`."""
        if not self.aligned:
            raise ValueError(f"not aligned: {self.reason}")
        return self.offset_s + self.drift_ppm * 1e-6 * (t_a - self.reference_s)

    def offset_uncertainty_at(self, t_a: float) -> float:
        """Offset and drift are estimated uncorrelated (centred regression), so they add in quadrature."""
        if not self.aligned:
            raise ValueError(f"not aligned: {self.reason}")
        return math.hypot(
            self.offset_uncertainty_s, self.drift_uncertainty_ppm * 1e-6 * (t_a - self.reference_s)
        )


@dataclass(frozen=True)
class Peak:
    lag: float  # samples, sub-sample refined; positive: the pattern is later in B
    psr: float  # (peak - mean of side lobes) / their standard deviation
    second: float  # second-best peak outside the main lobe, as a fraction of the peak (ambiguity)


def _fast_len(n: int) -> int:
    """Smallest 2^a 3^b 5^c >= n: pocketfft is fastest on such lengths."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited resampling by zero-padding / truncating the spectrum; sample 0 stays at t = 0."""
    x = np.asarray(x, dtype=np.float64)
    if rate_in == rate_out or len(x) == 0:
        return x.astype(np.float32)
    g = math.gcd(rate_in, rate_out)
    p, q = rate_in // g, rate_out // g
    n_out = round(len(x) * q / p)
    m = p * _fast_len(-(-len(x) // p))  # padded length, a multiple of p so the output length is exact
    spectrum = np.fft.rfft(x, m)
    m_out = m // p * q
    keep = min(len(spectrum), m_out // 2 + 1)
    out = np.fft.irfft(spectrum[:keep], m_out) * (m_out / m)
    return out[:n_out].astype(np.float32)


def decimate(x: np.ndarray, factor: int, *, taps_per_phase: int = 16) -> np.ndarray:
    """Low-pass (a symmetric windowed sinc, cut-off at 90 % of the new Nyquist) and keep every
    `factor`-th sample; sample 0 stays at t = 0. Works in place of a whole-signal FFT, so memory
    stays near the size of the output."""
    x = np.asarray(x, dtype=np.float32)
    if factor == 1:
        return x.copy()
    taps = 2 * taps_per_phase * factor + 1
    half = taps // 2
    k = np.arange(taps) - half
    h = np.sinc(0.9 / factor * k) * np.blackman(taps)
    h /= h.sum()
    padded = np.pad(x, (half, half + factor))
    m = -(-len(x) // factor)
    out = np.zeros(m, np.float64)
    for j in range(taps):  # out[i] = sum_j h[j] x[i * factor + j - half]
        out += h[j] * padded[j : j + factor * m : factor]
    return out.astype(np.float32)


@dataclass(frozen=True)
class Track:
    """One clip's audio made ready for aligning with many others (see `prepare`)."""

    fine: np.ndarray  # float32 at params.rate
    coarse: np.ndarray  # float32 at params.coarse_rate
    rate: int
    coarse_rate: int


def prepare(x: np.ndarray, *, rate: int, params: Parameters | None = None) -> Track:
    """Resample once per clip; a report of n clips aligns n (n - 1) / 2 pairs from n tracks."""
    p = params or Parameters()
    fine = np.asarray(x, np.float32) if rate == p.rate else resample(x, rate, p.rate)
    if p.rate % p.coarse_rate == 0:
        coarse = decimate(fine, p.rate // p.coarse_rate)
    else:
        coarse = resample(fine, p.rate, p.coarse_rate)
    return Track(fine=fine, coarse=coarse, rate=p.rate, coarse_rate=p.coarse_rate)


def gcc_phat(a: np.ndarray, b: np.ndarray, n: int | None = None, b_spectrum: np.ndarray | None = None):
    """Whitened cross-correlation; r[k] (k mod n) is large where a's pattern starts at b[k]."""
    n = n or _fast_len(len(a) + len(b))
    fb = np.fft.rfft(b, n) if b_spectrum is None else b_spectrum
    cross = fb * np.conj(np.fft.rfft(a, n))
    cross /= np.abs(cross) + _EPS
    return np.fft.irfft(cross, n)


def plain_xcorr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unweighted cross-correlation, same layout as `gcc_phat` (kept to show why it is not used)."""
    n = _fast_len(len(a) + len(b))
    return np.fft.irfft(np.fft.rfft(b, n) * np.conj(np.fft.rfft(a, n)), n)


def _parabolic(r: np.ndarray, i: int) -> float:
    left, mid, right = r[(i - 1) % len(r)], r[i], r[(i + 1) % len(r)]
    denom = left - 2 * mid + right
    if denom >= 0:  # not a maximum (flat top): no refinement
        return float(i)
    return i + 0.5 * (left - right) / denom


def find_peak(r: np.ndarray, lags: np.ndarray, *, lobe: int = 3) -> Peak:
    """The best peak of `r` among `lags` (integers, may be negative), its PSR and ambiguity.

    Side lobes are every value of `r` at the searched lags outside ±`lobe` samples of
    the peak; `second` is the best of them relative to the peak.
    """
    values = r[lags % len(r)]
    best = int(np.argmax(values))
    peak = values[best]
    side = np.ones(len(values), bool)
    side[max(0, best - lobe) : best + lobe + 1] = False
    sidelobes = values[side]
    if len(sidelobes) < 8 or peak <= 0:
        return Peak(lag=float(lags[best]), psr=0.0, second=1.0)
    psr = (peak - sidelobes.mean()) / (sidelobes.std() + _EPS)
    second = float(sidelobes.max() / peak)
    frac = _parabolic(r, int(lags[best] % len(r))) - lags[best] % len(r)
    return Peak(lag=float(lags[best] + frac), psr=float(psr), second=second)


@dataclass(frozen=True)
class _Vote:
    t: float  # A's media time of the segment's middle, seconds
    offset: float  # seconds
    psr: float
    second: float


COARSE_ENOUGH = 3  # agreeing votes after which the coarse search stops (the fine windows check the rest)


def _groups(votes: list[_Vote], p: Parameters) -> list[list[_Vote]]:
    """Groups of clear votes that agree (allowing for `max_drift_ppm`), best first: most votes, then PSR."""
    clear = [v for v in votes if v.psr >= p.coarse_min_psr and v.second <= p.max_second_peak]
    tol = 2.0 / p.coarse_rate
    groups = []
    for anchor in clear:
        group = [
            v
            for v in clear
            if abs(v.offset - anchor.offset) <= tol + p.max_drift_ppm * 1e-6 * abs(v.t - anchor.t)
        ]
        if group not in groups:
            groups.append(group)
    groups.sort(key=lambda g: (len(g), sum(v.psr for v in g)), reverse=True)
    return groups


def _coarse(ac: np.ndarray, bc: np.ndarray, p: Parameters) -> tuple[list[_Vote], list[list[_Vote]]]:
    """Segments of A (at the coarse rate) against the whole of B; every vote, and the agreeing groups."""
    seg = max(16, int(p.coarse_segment_s * p.coarse_rate))
    n = _fast_len(len(bc) + seg)
    fb = np.fft.rfft(bc, n)
    lags = np.arange(-seg + 1, len(bc))
    votes: list[_Vote] = []
    groups: list[list[_Vote]] = []
    for start in range(0, max(1, len(ac) - seg // 2), seg):
        piece = ac[start : start + seg]
        if len(piece) < seg // 2 or not np.any(piece):
            continue
        peak = find_peak(gcc_phat(piece, bc, n, fb), lags, lobe=2)
        offset = (peak.lag - start) / p.coarse_rate
        votes.append(_Vote((start + len(piece) / 2) / p.coarse_rate, offset, peak.psr, peak.second))
        groups = _groups(votes, p)
        if groups and len(groups[0]) >= COARSE_ENOUGH:
            break
    return votes, groups


def _line(t: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float, float]:
    """Least-squares y = c + s (t - tm); returns (c, s, tm)."""
    w = np.ones_like(t) if w is None else w
    tm = float(np.average(t, weights=w))
    dt = t - tm
    c = float(np.average(y, weights=w))
    s = float(np.sum(w * dt * (y - c)) / max(np.sum(w * dt * dt), _EPS))
    return c, s, tm


CANDIDATES = 3  # coarse lags tried, best first, before giving up


def align(a: np.ndarray, b: np.ndarray, *, rate: int, params: Parameters | None = None) -> Alignment:
    """Align mono signals `a` and `b`, both sampled at `rate` (see the module docstring)."""
    p = params or Parameters()
    return align_tracks(prepare(a, rate=rate, params=p), prepare(b, rate=rate, params=p), params=p)


def align_tracks(ta: Track, tb: Track, *, params: Parameters | None = None) -> Alignment:
    """`align` on tracks made by `prepare` with the same parameters."""
    p = params or Parameters()
    common = {"method": METHOD, "version": VERSION, "parameters": p.as_dict()}
    if (ta.rate, ta.coarse_rate, tb.rate, tb.coarse_rate) != (p.rate, p.coarse_rate) * 2:
        raise ValueError("tracks were prepared with other rates than these parameters")
    a, b = ta.fine, tb.fine
    if min(len(a), len(b)) < int(p.window_s * p.rate):
        shorter = min(len(a), len(b)) / p.rate
        return Alignment(
            False, f"a clip has {shorter:.1f} s of audio, shorter than one {p.window_s:g} s window", **common
        )

    votes, groups = _coarse(ta.coarse, tb.coarse, p)
    if not groups:
        best = max(votes, key=lambda v: v.psr, default=None)
        seen = (
            "" if best is None else f"; the best had {best.psr:.1f}, with a rival at {best.second:.0%} of it"
        )
        return Alignment(
            False,
            f"no common sound found: none of {len(votes)} stretches of {p.coarse_segment_s:g} s has a clear "
            f"correlation peak (a peak-to-sidelobe ratio of at least {p.coarse_min_psr:g} and no rival peak "
            f"above {p.max_second_peak:.0%} of it){seen}",
            **common,
        )
    first = None
    for group in groups[:CANDIDATES]:
        result = _fine(a, b, group, p, common, sparse=True)
        if result.aligned:  # second pass: every window, each stretched by the drift just found
            again = _fine(
                a, b, group, p, common, line=(result.offset_s, result.drift_ppm * 1e-6, result.reference_s)
            )
            return again if again.aligned else result
        first = first or result
    if len(groups[0]) == 1:  # nothing but chance peaks, none confirmed
        return replace(
            first, reason=f"no common sound found: no clear coarse peak was confirmed ({first.reason})"
        )
    return first


def _fine(a, b, group: list[_Vote], p: Parameters, common: dict, line=None, sparse=False) -> Alignment:
    """Windows of A searched in B around a line (offset, slope, reference), then the fit.

    Without `line`, the line through one group of coarse votes. With it, each window
    of A is first stretched by the line's slope, so a drifting pair correlates as
    sharply as a steady one and the lag belongs to the window's first sample, not
    to wherever its loudest sound happens to be. `sparse` uses about 12 windows
    spread over the clip (enough for the line the second pass stretches by).
    """
    fs = p.rate
    win = int(p.window_s * fs)
    stretch = 0.0
    if line is not None:
        c0, s0, t0 = line
        stretch = s0
        margin = int(p.search_s * fs)
    elif len(group) >= 3:
        c0, s0, t0 = _line(np.array([v.t for v in group]), np.array([v.offset for v in group]))
        margin = int(p.search_s * fs)
    else:  # one or two votes fit any slope: allow the largest drift over the whole clip
        c0, s0, t0 = float(np.mean([v.offset for v in group])), 0.0, float(np.mean([v.t for v in group]))
        margin = int(p.search_s * fs) + int(p.max_drift_ppm * 1e-6 * len(a))

    def placed(i: int) -> tuple[int, int]:  # where A's window at i is searched for in B
        predicted = int(round(i + (c0 + s0 * (i / fs - t0)) * fs))
        return predicted - margin, predicted + win + margin

    starts = [i for i in range(0, len(a) - win + 1, win) if placed(i)[0] >= 0 and placed(i)[1] <= len(b)]
    total = len(starts)
    if sparse and total > 16:
        starts = starts[:: total // 12]
    ts, lags_s, psrs = [], [], []
    for i in starts:
        lo, hi = placed(i)
        piece = a[i : i + win].astype(np.float64)
        if stretch:
            end = min(len(a), i + win + 2)
            piece = np.interp(i + np.arange(win) / (1 + stretch), np.arange(i, end), a[i:end])
        segment = b[lo:hi].astype(np.float64)
        if not np.any(piece) or not np.any(segment):
            continue
        # A circular correlation of the segment's length suffices: lags 0..2 margin never wrap.
        peak = find_peak(gcc_phat(piece, segment, _fast_len(hi - lo)), np.arange(2 * margin + 1))
        if peak.psr < p.min_psr or peak.second > p.max_second_peak:
            continue
        ts.append(i / fs if stretch else (i + win / 2) / fs)
        lags_s.append((lo + peak.lag - i) / fs)
        psrs.append(peak.psr)
    overlap = total * p.window_s  # the part of A whose windows B covers
    counts = {"windows_total": total, "windows_clear": len(ts), "overlap_s": overlap, **common}
    if len(ts) < p.min_windows:
        return Alignment(
            False,
            f"too little common sound: {len(ts)} of {total} windows of {p.window_s:g} s in the overlap "
            f"have a clear correlation peak (need {p.min_windows})",
            **counts,
        )

    t, y, psr = np.array(ts), np.array(lags_s), np.array(psrs)
    keep = np.ones(len(t), bool)
    floor = 0.25 / fs
    for _ in range(10):
        c, s, tm = _line(t[keep], y[keep])
        resid = y - (c + s * (t - tm))
        scale = 1.4826 * float(np.median(np.abs(resid[keep])))
        new = np.abs(resid) <= max(3.0 * scale, floor)
        if np.array_equal(new, keep) or new.sum() < 2:
            break
        keep = new
    used = int(keep.sum())
    c, s, tm = _line(t[keep], y[keep])
    resid = (y - (c + s * (t - tm)))[keep]
    if used < p.min_windows or used < p.min_agreeing_fraction * len(t):
        return Alignment(
            False,
            f"windows disagree: only {used} of {len(t)} windows with a clear peak fit one offset and drift "
            f"(need {p.min_windows} and {p.min_agreeing_fraction:.0%})",
            windows_used=used,
            **counts,
        )
    if abs(s) * 1e6 > p.max_drift_ppm:
        return Alignment(
            False,
            f"the windows imply a drift of {s * 1e6:.0f} ppm, "
            f"beyond the {p.max_drift_ppm:g} ppm any clock drifts",
            windows_used=used,
            **counts,
        )
    dt = t[keep] - tm
    sigma = max(math.sqrt(float(np.sum(resid**2)) / max(used - 2, 1)), floor)
    return Alignment(
        True,
        f"{used} of {len(t)} windows with a clear peak agree",
        offset_s=c,
        drift_ppm=s * 1e6,
        offset_uncertainty_s=max(2 * sigma / math.sqrt(used), floor),
        drift_uncertainty_ppm=2 * sigma / math.sqrt(max(float(np.sum(dt * dt)), _EPS)) * 1e6,
        reference_s=tm,
        confidence=float(np.median(psr[keep])),
        windows_used=used,
        residual_rms_s=float(np.sqrt(np.mean(resid**2))),
        **counts,
    )
