"""The simulator's recording renderer: deterministic, block-invariant, exact lengths."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.assumptions import BEEP_HZ, BEEP_SECONDS, DTMF_TONE_SECONDS, SAMPLE_RATE
from helpers.simulator.audio import (
    Sound,
    channel_map,
    dtmf_frequencies,
    encode_recording,
    n_channels,
    render_block,
)

MONO = channel_map(False, None)
DIGITS = "0123456789*#ABCD"
HAVE_FFMPEG = bool(shutil.which("ffmpeg"))


def peak_hz(x: np.ndarray, lo: float = 0.0, hi: float = SAMPLE_RATE / 2) -> float:
    """Frequency of the strongest FFT bin between lo and hi (zero-padded for resolution)."""
    n = 1 << 16
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size), n))
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    band = (freqs >= lo) & (freqs <= hi)
    return float(freqs[band][np.argmax(spectrum[band])])


def test_channel_layouts():
    assert n_channels(False, None) == 1 and n_channels(False, 5) == 1
    assert n_channels(True, None) == 2 and n_channels(True, 4) == 4
    assert [channel_map(False, None)(s) for s in range(4)] == [0, 0, 0, 0]
    assert [channel_map(True, None)(s) for s in range(4)] == [0, 1, 1, 1]
    # sources 0 first leg, 1 NCCO audio, 2.. legs; channels follow people in join order
    assert [channel_map(True, 3)(s) for s in range(6)] == [0, 1, 1, 2, 2, 2]
    assert [channel_map(True, 3, [0, 4, 2, 3])(s) for s in range(6)] == [0, 1, 2, 2, 1, 2]
    assert [channel_map(True, 1)(s) for s in range(4)] == [0, 0, 0, 0]


sounds_strategy = st.lists(
    st.builds(
        Sound,
        source=st.integers(0, 3),
        kind=st.sampled_from(["speech", "tts", "music", "beep", "dtmf"]),
        start=st.floats(0.0, 3.0),
        end=st.floats(0.0, 4.0),
        seed=st.integers(0, 2**32),
        digit=st.sampled_from(list(DIGITS)),
    ),
    max_size=5,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sounds=sounds_strategy,
    t0=st.floats(-1.0, 1.0),
    cuts=st.lists(st.integers(1, 31999), max_size=4, unique=True),
    channels=st.integers(1, 3),
)
def test_render_is_block_invariant(sounds, t0, cuts, channels):
    chan = channel_map(True, channels)
    whole = render_block(sounds, t0, 32000, channels, chan)
    edges = [0, *sorted(cuts), 32000]
    pieces = [
        render_block(sounds, t0 + a / SAMPLE_RATE, b - a, channels, chan)
        for a, b in zip(edges, edges[1:], strict=False)
    ]
    assert whole.dtype == np.float32 and whole.shape == (32000, channels)
    np.testing.assert_allclose(np.concatenate(pieces), whole, atol=1e-5)
    assert np.abs(whole).max() <= 1.0


def test_render_is_deterministic_and_seed_dependent():
    a = render_block([Sound(0, "speech", 0, 2, seed=1)], 0, 16000, 1, MONO)
    b = render_block([Sound(0, "speech", 0, 2, seed=1)], 0, 16000, 1, MONO)
    c = render_block([Sound(0, "speech", 0, 2, seed=2)], 0, 16000, 1, MONO)
    assert np.array_equal(a, b) and not np.allclose(a, c)


@pytest.mark.parametrize("kind", ["speech", "tts", "music", "beep"])
def test_levels(kind):
    peak = max(
        np.abs(render_block([Sound(0, kind, 0, 10, seed=s)], 0, 80000, 1, MONO)).max()
        for s in range(5)
    )
    assert {"speech": 0.3, "tts": 0.3, "music": 0.1, "beep": 0.3}[kind] < peak <= 0.5


def test_silence_outside_sounds_is_exactly_zero():
    sounds = [
        Sound(0, "speech", 0.5, 1.7, seed=3),
        Sound(1, "music", 2.0, 3.0, seed=4),
        Sound(1, "beep", 3.2, 3.2 + BEEP_SECONDS),
        Sound(0, "dtmf", 4.1, 4.1 + DTMF_TONE_SECONDS, digit="7"),
    ]
    x = render_block(sounds, 0.0, 5 * SAMPLE_RATE, 1, MONO)[:, 0]
    t = np.arange(x.size) / SAMPLE_RATE
    inside = np.zeros(x.size, bool)
    for s in sounds:
        inside |= (t >= s.start) & (t < s.end)
        assert np.abs(x[(t >= s.start) & (t < s.end)]).max() > 0.05
    assert np.all(x[~inside] == 0.0)


@pytest.mark.parametrize("digit", list(DIGITS))
def test_dtmf_has_its_two_frequencies(digit):
    x = render_block([Sound(0, "dtmf", 0, DTMF_TONE_SECONDS, digit=digit)], 0, 1200, 1, MONO)
    low, high = dtmf_frequencies(digit)
    assert abs(peak_hz(x[:, 0], 600, 1000) - low) < 8
    assert abs(peak_hz(x[:, 0], 1150, 1700) - high) < 8


def test_dtmf_rejects_unknown_keys():
    with pytest.raises(ValueError, match="DTMF"):
        dtmf_frequencies("E")


def test_beep_pitch_and_length():
    x = render_block([Sound(1, "beep", 1.0, 1.0 + BEEP_SECONDS)], 0, 2 * SAMPLE_RATE, 1, MONO)
    x = x[:, 0]
    loud = np.flatnonzero(np.abs(x) > 0)
    assert abs((loud[-1] - loud[0] + 1) / SAMPLE_RATE - BEEP_SECONDS) < 0.002
    assert abs(peak_hz(x[loud]) - BEEP_HZ) < 3


def test_split_channel_separation():
    sounds = [
        Sound(0, "speech", 0.0, 1.0, seed=1),
        Sound(1, "tts", 1.0, 2.0, seed=2),
        Sound(2, "beep", 2.0, 2.5),
        Sound(3, "dtmf", 3.0, 3.15, digit="1"),
        Sound(4, "speech", 4.0, 5.0, seed=3),
    ]
    x = render_block(sounds, 0.0, 6 * SAMPLE_RATE, 3, channel_map(True, 3))
    s = SAMPLE_RATE
    busy = [np.flatnonzero(np.abs(x[:, c]) > 0) for c in range(3)]
    assert busy[0].min() >= 0 and busy[0].max() < 1 * s  # the first leg only
    # the NCCO's audio (assumptions.NCCO_AUDIO_CHANNEL = 1) and the first connected leg
    assert set(np.unique(busy[1] // s)) == {1, 2}
    assert set(np.unique(busy[2] // s)) == {3, 4}  # later legs share the last channel
    default = render_block(sounds, 0.0, 6 * SAMPLE_RATE, 2, channel_map(True, None))
    assert np.flatnonzero(default[:, 0]).max() < s and np.flatnonzero(default[:, 1]).min() >= s


def decoded_frames_ffmpeg(path) -> int:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return len(out) // 2


@pytest.mark.parametrize("fmt", ["mp3", "wav", "ogg"])
@pytest.mark.parametrize("split", [False, True])
def test_encode_exact_length_and_size(tmp_path, fmt, split):
    sounds = [Sound(0, "speech", 1.0, 3.0, seed=5), Sound(1, "beep", 0.2, 0.7)]
    path = tmp_path / f"rec.{fmt}"
    start, end = 0.3, 4.3371
    size = encode_recording(sounds, start, end, fmt, split, None, path, block_seconds=1.3)
    expected = round((end - start) * SAMPLE_RATE)
    assert size == path.stat().st_size > 0
    info = sf.info(path)
    assert info.frames == expected and info.channels == (2 if split else 1)
    assert len(sf.read(path)[0]) == expected
    if HAVE_FFMPEG:
        assert abs(decoded_frames_ffmpeg(path) - expected) <= 0.05 * SAMPLE_RATE
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_encoded_wav_matches_render(tmp_path):
    sounds = [Sound(0, "music", 0.0, np.inf, seed=2), Sound(1, "dtmf", 2.0, 2.15, digit="#")]
    path = tmp_path / "rec.wav"
    encode_recording(sounds, 1.0, 4.0, "wav", True, None, path, block_seconds=0.37)
    direct = render_block(sounds, 1.0, 3 * SAMPLE_RATE, 2, channel_map(True, None))
    np.testing.assert_allclose(sf.read(path, dtype="float32")[0], direct, atol=2 / 32768)


def test_encode_rejects_what_it_cannot_write(tmp_path):
    with pytest.raises(ValueError, match="at most 2 channels"):
        encode_recording([], 0, 1, "mp3", True, 3, tmp_path / "x.mp3")
    with pytest.raises(ValueError, match="format"):
        encode_recording([], 0, 1, "flac", False, None, tmp_path / "x.flac")
    with pytest.raises(ValueError, match="unknown sound kind"):
        encode_recording([Sound(0, "noise", 0, 1)], 0, 1, "wav", False, None, tmp_path / "x.wav")
    assert list(tmp_path.iterdir()) == []  # a failed encode leaves nothing behind


def test_many_sounds_are_cheap(tmp_path):
    # 5000 key presses over ~21 minutes: the sweep line keeps each block's list short.
    sounds = [Sound(2, "dtmf", i * 0.25, i * 0.25 + 0.15, digit="5") for i in range(5000)]
    size = encode_recording(sounds, 0, 1250, "wav", False, None, tmp_path / "keys.wav")
    assert size == 44 + 2 * 1250 * SAMPLE_RATE


@pytest.mark.parametrize("split", [False, True])
def test_mp3_decodes_cleanly_and_exactly(tmp_path, capfd, split):
    # Read whole (recordings.load, pydub, ffmpeg), the 32 kbit/s file decodes without a
    # libmpg123 complaint, to exactly the recording's length (thanks to the Info tag that
    # add_info_tag writes) and in step with the render. Reading it with libsndfile in blocks
    # that are not whole MP3 frames makes libmpg123 print "part2_3_length too large" at this
    # rate (and can garble a stereo frame): a decoder limitation, noted in audio.FORMATS.
    sounds = [
        Sound(i % 3, kind, i * 2.0, i * 2.0 + 1.8, seed=i)
        for i, kind in enumerate(["speech", "tts", "music"] * 5)
    ]
    path = tmp_path / "whole.mp3"
    encode_recording(sounds, 0, 30, "mp3", split, None, path)
    whole = sf.read(path, dtype="float32", always_2d=True)[0]
    assert whole.shape == (30 * SAMPLE_RATE, 2 if split else 1)
    direct = render_block(sounds, 0, 30 * SAMPLE_RATE, whole.shape[1], channel_map(split, None))
    for c in range(whole.shape[1]):
        assert np.corrcoef(whole[:, c], direct[:, c])[0, 1] > 0.99  # aligned, not delayed
    if HAVE_FFMPEG:
        assert decoded_frames_ffmpeg(path) == 30 * SAMPLE_RATE
    assert "part2_3_length" not in capfd.readouterr().err


@pytest.mark.parametrize("fmt", ["mp3", "wav"])
@pytest.mark.parametrize("split", [False, True])
def test_documented_file_formats(tmp_path, fmt, split):
    # Recording guide, "File formats": MP3 16-bit, 16 kHz, constant 32 kbit/s; WAV 16-bit,
    # 16 kHz; a split file keeps the same rate per channel.
    seconds = 60
    path = tmp_path / f"rec.{fmt}"
    sounds = [Sound(0, "speech", 0, 30, seed=1), Sound(1, "music", 20, 60, seed=2)]
    size = encode_recording(sounds, 0, seconds, fmt, split, None, path)
    info = sf.info(path)
    assert info.samplerate == SAMPLE_RATE == 16000
    assert info.frames == seconds * SAMPLE_RATE
    if fmt == "wav":
        assert info.subtype == "PCM_16" and size == 44 + 2 * info.channels * seconds * 16000
    else:
        assert abs(size * 8 / seconds / 1000 - 32) < 0.5  # kbit/s, tag frame included
        if HAVE_FFMPEG:
            probe = subprocess.run(
                ["ffprobe", "-v", "error", "-show_entries", "stream=bit_rate,sample_rate",
                 "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True,
            ).stdout.split(",")
            assert [int(v) for v in probe] == [16000, 32000]
