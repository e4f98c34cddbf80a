"""The redacted copy's sound: decoded, every sample outside the masked ranges is the original's, and
inside them exactly silence or exactly the tone the provenance record names.

The original's AAC decodes to 32-bit floats; the copy's lossless audio holds 24-bit samples. "The
same sample" is therefore the original's decoded float rounded to 24 bits (`footage.pcm24`), and the
float itself may move by at most half a 24-bit step (2^-24 of full scale); both are checked and
printed, over every sample of the clip.
"""

from __future__ import annotations

import av
import numpy as np
import pytest

from ingest_server.redaction.render import AudioMask, RenderSettings, TimeRange, render
from tests.ingest_server.redaction import footage

HALF_STEP_24 = 2.0**-24


def no_regions(frame: int) -> list:
    return []


def compare(original, copy, ranges):
    """(times, samples outside any range: original, copy), (inside: original, copy) over the whole clip."""
    t0, a = footage.decoded_audio(original)
    t1, b = footage.decoded_audio(copy)
    positions = np.rint(t0 * footage.RATE), np.rint(t1 * footage.RATE)  # sample numbers from the start
    assert np.array_equal(*positions), "the copy's audio timeline is not the original's"
    inside = np.zeros(t0.size, bool)
    for r in ranges:
        inside |= (t0 >= r.start) & (t0 < r.end)
    return t0, inside, a, b


def report(label, inside, a, b):
    outside = ~inside
    differ = int(np.count_nonzero(footage.pcm24(a[outside]) != footage.pcm24(b[outside])))
    drift = float(np.abs(a[outside] - b[outside]).max())
    print(
        f"\n{label}: {outside.sum()} samples outside the masks, {differ} differ at 24 bits, "
        f"largest change {drift:.3g} (half a 24-bit step is {HALF_STEP_24:.3g}); {inside.sum()} inside"
    )
    return differ, drift


@pytest.mark.parametrize("ranges", [[TimeRange(1.0, 1.6)], [TimeRange(0.3, 0.45), TimeRange(2.0, 2.9999)]])
def test_muted_ranges_are_exact_zeros_and_every_other_sample_is_the_originals(clip, tmp_path, ranges):
    out = tmp_path / "muted.mp4"
    result = render(source=clip.path, destination=out, regions=no_regions, audio_ranges=ranges)
    t, inside, original, copy = compare(clip.path, out, ranges)
    differ, drift = report("muted", inside, original, copy)
    assert np.abs(original[inside]).max() > 0.2  # there was sound to mute
    assert np.count_nonzero(copy[inside]) == 0
    assert differ == 0 and drift <= HALF_STEP_24
    assert result.audio_samples_masked == inside.sum()


def test_a_tone_range_is_exactly_the_recorded_tone_and_the_rest_is_the_original(clip, tmp_path):
    out = tmp_path / "toned.mp4"
    toned = TimeRange(0.4, 1.4)
    settings = RenderSettings(audio_mask=AudioMask.TONE, tone_hz=1000.0)
    render(source=clip.path, destination=out, regions=no_regions, audio_ranges=[toned], settings=settings)
    t, inside, original, copy = compare(clip.path, out, [toned])
    differ, drift = report("tone", inside, original, copy)
    expected = footage.pcm24(0.25 * np.sin(2 * np.pi * 1000.0 * t[inside]))  # the rule in the record
    wrong = int(np.count_nonzero(footage.pcm24(copy[inside]) != expected))
    spectrum = np.abs(np.fft.rfft(copy[inside] * np.hanning(inside.sum())))
    peak = np.fft.rfftfreq(int(inside.sum()), 1 / footage.RATE)[spectrum.argmax()]
    print(
        f"tone: {wrong} of {inside.sum()} samples inside differ from 0.25·sin(2π·1000·t); peak {peak:.1f} Hz"
    )
    assert abs(peak - 1000.0) < 5  # the original there is 440 Hz and 660 Hz
    assert wrong == 0
    assert differ == 0 and drift <= HALF_STEP_24


def test_without_masks_the_audio_packets_are_copied_byte_for_byte(clip, tmp_path):
    out = tmp_path / "copied.mp4"
    result = render(source=clip.path, destination=out, regions=no_regions)
    assert result.audio == "copied" and result.audio_samples_masked == 0

    def packets(path):
        with av.open(str(path)) as src:
            return [bytes(p) for p in src.demux(audio=0) if p.size]

    assert packets(out) == packets(clip.path)


def test_masked_audio_is_lossless_flac_that_an_independent_ffmpeg_decodes(clip, tmp_path):
    out = tmp_path / "muted.mp4"
    result = render(source=clip.path, destination=out, regions=no_regions, audio_ranges=[TimeRange(1, 2)])
    assert result.audio == "lossless" and result.audio_codec.startswith("flac 24-bit")
    with av.open(str(out)) as copy:
        assert copy.streams.audio[0].codec_context.name == "flac"
    decoded = footage.check_with_ffmpeg(out)
    _, ours = footage.decoded_audio(out)
    assert np.array_equal(decoded, np.rint(ours * 2**31).astype(np.int32))


def test_pcm_audio_can_be_masked_too_and_stays_exact(tmp_path):
    made = footage.make(tmp_path / "pcm.mp4", seconds=1.0, faces=[], audio="flac")
    out = tmp_path / "redacted.mp4"
    muted = TimeRange(0.25, 0.5)
    render(source=made.path, destination=out, regions=no_regions, audio_ranges=[muted])
    _, inside, original, copy = compare(made.path, out, [muted])
    differ, drift = report("16-bit source", inside, original, copy)
    assert np.count_nonzero(copy[inside]) == 0 and differ == 0 and drift == 0.0


def test_a_gap_in_the_originals_audio_stays_a_gap_of_silence_and_the_sound_after_it_stays_in_sync(tmp_path):
    path, gap = tmp_path / "gap.mp4", 4800  # 0.1 s with no audio packets, half a second in
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=30)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        sound = out.add_stream("aac", rate=footage.RATE)
        sound.layout = "mono"
        for i in range(30):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 8, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for n in range(46):
            start = n * 1024 + (gap if n >= 24 else 0)
            samples = footage.tone((start + np.arange(1024)) / footage.RATE).astype(np.float32)[np.newaxis]
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = footage.RATE, start
            out.mux(sound.encode(frame))
        out.mux(sound.encode(None))
    copy = tmp_path / "redacted.mp4"
    muted = TimeRange(0.9, 1.0)
    result = render(source=path, destination=copy, regions=no_regions, audio_ranges=[muted])
    t0, a = footage.decoded_audio(path)
    t1, b = footage.decoded_audio(copy)
    at0, at1 = np.rint(t0 * footage.RATE).astype(int), np.rint(t1 * footage.RATE).astype(int)
    assert np.array_equal(at1, np.arange(at1[0], at1[0] + at1.size)), "the copy's audio has a hole"
    by_position = b[at0 - at1[0]]  # the copy's sample at each of the original's sample positions
    inside = (t0 >= muted.start) & (t0 < muted.end)
    filled = np.setdiff1d(at1, at0)
    print(f"\ngap: {filled.size} samples of silence filled, {result.audio_gap_samples} counted")
    assert np.array_equal(footage.pcm24(by_position[~inside]), footage.pcm24(a[~inside]))
    assert np.count_nonzero(by_position[inside]) == 0
    assert filled.size == result.audio_gap_samples > 0
    assert np.count_nonzero(b[filled - at1[0]]) == 0


def test_a_copy_with_lossless_audio_signs_trusted_and_decodes_the_same_after_signing(clip, tmp_path):
    from ingest_server.redaction.sign import AgencySigner, CredentialState, check, manifest, sign_mp4
    from tests.ingest_server.redaction import certs

    pki = certs.make()
    copy, signed = tmp_path / "muted.mp4", tmp_path / "released.mp4"
    render(source=clip.path, destination=copy, regions=no_regions, audio_ranges=[TimeRange(1.0, 1.6)])
    sign_mp4(
        source=copy,
        destination=signed,
        signer=AgencySigner(pki.chain_pem, pki.key_pem),
        manifest_json=manifest(
            title="released.mp4", parent_sha256="a" * 64, provenance_sha256="b" * 64, generator_version="0"
        ),
    )
    assert check(signed, trust_anchors_pem=pki.root_pem)[0] is CredentialState.TRUSTED
    assert np.array_equal(footage.check_with_ffmpeg(signed), footage.check_with_ffmpeg(copy))
