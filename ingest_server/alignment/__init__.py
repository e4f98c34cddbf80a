"""Aligning clips by their audio: derived facts about when two recordings heard the same sound.

`estimate` holds the method (pure numpy), `decode` reads a clip's audio with
PyAV, `sentence` words a result for a court report. `align_files` puts decode
and estimate together for two clips. Nothing here writes anything: originals and
their recorded times never change; an `Alignment` is a derived fact to be stored
beside them (with both clips' SHA-256, the method, its version and parameters).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from ingest_server.alignment.decode import AudioDecodeError, DecodedAudio, decode_audio
from ingest_server.alignment.estimate import (
    METHOD,
    VERSION,
    Alignment,
    Parameters,
    Track,
    align,
    align_tracks,
    prepare,
)
from ingest_server.alignment.sentence import ClipSide, sentence

__all__ = [
    "METHOD",
    "VERSION",
    "Alignment",
    "AudioDecodeError",
    "ClipSide",
    "DecodedAudio",
    "Parameters",
    "align",
    "align_all",
    "align_decoded",
    "align_files",
    "decode_audio",
    "sentence",
]


def _in_media_times(result: Alignment, a: DecodedAudio, b: DecodedAudio) -> Alignment:
    """Sample i of a track is at media time start_s + i / rate: shift the line into media times."""
    if not result.aligned:
        return result
    return replace(
        result, reference_s=result.reference_s + a.start_s, offset_s=result.offset_s + b.start_s - a.start_s
    )


def _track(audio: DecodedAudio, p: Parameters) -> Track:
    return prepare(audio.samples, rate=audio.rate, params=p)


def align_decoded(a: DecodedAudio, b: DecodedAudio, *, params: Parameters | None = None) -> Alignment:
    """Align two decoded tracks; the result is in media times (a track need not start at media time 0)."""
    p = params or Parameters()
    return _in_media_times(align_tracks(_track(a, p), _track(b, p), params=p), a, b)


def align_all(
    tracks: Sequence[DecodedAudio],
    *,
    pairs: Iterable[tuple[int, int]] | None = None,
    params: Parameters | None = None,
) -> dict[tuple[int, int], Alignment]:
    """Align the given pairs of tracks (index pairs; default every pair), preparing each track once."""
    p = params or Parameters()
    wanted = list(itertools.combinations(range(len(tracks)), 2) if pairs is None else pairs)
    prepared = {i: _track(tracks[i], p) for i in sorted({i for pair in wanted for i in pair})}
    return {
        (i, j): _in_media_times(align_tracks(prepared[i], prepared[j], params=p), tracks[i], tracks[j])
        for i, j in wanted
    }


def align_files(a: Path | str, b: Path | str, *, params: Parameters | None = None) -> Alignment:
    """Decode both clips' audio at the method's rate and align them (AudioDecodeError: unreadable)."""
    p = params or Parameters()
    return align_decoded(decode_audio(a, rate=p.rate), decode_audio(b, rate=p.rate), params=p)
