"""decode.py: clicks keep their media times whatever the source rate; bad input is refused in one line."""

from __future__ import annotations

import av
import numpy as np
import pytest

from ingest_server.alignment.decode import AudioDecodeError, decode_audio
from ingest_server.alignment.estimate import find_peak
from tests.support.audio_scene import write_mp4

CLICKS_S = (1.0, 2.5, 4.125)


def _clicks(rate: int, seconds: float = 5.0) -> np.ndarray:
    x = np.zeros(int(seconds * rate), np.float32)
    for t in CLICKS_S:
        i = int(round(t * rate))
        x[i : i + int(0.002 * rate)] = 0.8  # a 2 ms pulse
    return x


@pytest.mark.parametrize("source_rate", [16_000, 32_000, 48_000])
def test_sounds_keep_their_media_time_through_aac_and_resampling(tmp_path, source_rate):
    path = write_mp4(tmp_path / "clicks.mp4", _clicks(source_rate), source_rate)
    audio = decode_audio(path, rate=8000)
    assert (audio.rate, audio.source_rate, audio.source_channels, audio.codec) == (
        8000,
        source_rate,
        1,
        "aac",
    )
    assert audio.start_s == 0.0 and not audio.gaps and audio.bad_packets == 0
    assert abs(audio.seconds - 5.0) < 0.07
    # Where does the decoded click train sit against the ideal one? (sub-sample peak of their correlation)
    ideal = _clicks(8000)
    r = np.fft.irfft(np.fft.rfft(audio.samples, 1 << 17) * np.conj(np.fft.rfft(ideal, 1 << 17)), 1 << 17)
    lag = find_peak(r, np.arange(-400, 400)).lag / 8000
    print(f"{source_rate} Hz source: clicks decoded {lag * 1e3:+.3f} ms from where they were recorded")
    assert abs(lag) < 0.0002


def test_a_file_without_audio_is_refused_in_one_line(tmp_path):
    path = tmp_path / "silent-film.mp4"
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=5)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts = i
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    with pytest.raises(AudioDecodeError, match=r"^silent-film.mp4: has no audio track") as caught:
        decode_audio(path, rate=8000)
    assert "\n" not in str(caught.value)


def test_a_file_that_is_not_media_is_refused_in_one_line(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_bytes(b"this is not a video\n" * 50)
    with pytest.raises(AudioDecodeError, match=r"^notes.mp4: cannot be opened as media") as caught:
        decode_audio(path, rate=8000)
    assert "\n" not in str(caught.value)


def test_a_missing_stretch_of_audio_is_filled_with_silence_so_later_sounds_keep_their_time(tmp_path):
    # An MP4 whose audio packets jump from 2 s to 3 s (one second lost, as after a write error).
    rate = 16_000
    x = _clicks(rate)
    path = tmp_path / "gap.mp4"
    with av.open(str(path), "w", format="mp4") as container:
        sound = container.add_stream("aac", rate=rate, layout="mono")
        done = 0
        while done < len(x):
            block = x[done : done + 1024]
            if not (2 * rate <= done < 3 * rate):
                frame = av.AudioFrame.from_ndarray(block[None, :], format="fltp", layout="mono")
                frame.sample_rate, frame.pts = rate, done
                container.mux(sound.encode(frame))
            done += len(block)
        container.mux(sound.encode(None))
    audio = decode_audio(path, rate=8000)
    assert len(audio.gaps) == 1
    when, length = audio.gaps[0]
    assert abs(when - 2.0) < 0.1 and abs(length - 1.0) < 0.1, audio.gaps
    late = slice(int(4.0 * 8000), int(4.3 * 8000))
    onset = late.start + int(np.argmax(np.abs(audio.samples[late]) > 0.3))
    assert abs(onset / 8000 - 4.125) < 0.002
