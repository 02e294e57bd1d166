"""What trainees do with a downloaded recording: load, plot, convert, trim, split by leg."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import recordings
from helpers.assumptions import BEEP_HZ, BEEP_SECONDS, SAMPLE_RATE
from helpers.recordings import Recording, RecordingError
from helpers.simulator.audio import Sound, encode_recording

needs_ffmpeg = pytest.mark.skipif(
    not recordings.has_ffmpeg(),
    reason="ffmpeg/ffprobe not installed (apt-get install ffmpeg): pydub path not testable",
)
SPEECH_AT = 1.23  # the caller starts talking here; nothing is heard before
SOUNDS = [
    Sound(0, "speech", SPEECH_AT, 3.0, seed=7),
    Sound(1, "beep", 4.0, 4.0 + BEEP_SECONDS),
    Sound(1, "tts", 5.0, 6.0, seed=2),
]


def make(tmp_path, fmt="wav", split=True, channels=None, name="call"):
    path = tmp_path / f"{name}.{fmt}"
    encode_recording(SOUNDS, 0.0, 7.0, fmt, split, channels, path)
    return path


def no_ffmpeg(monkeypatch):
    monkeypatch.setattr(recordings.shutil, "which", lambda name: None)


def energy(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def test_import_does_not_load_pydub():
    code = "import sys, helpers.recordings; assert 'pydub' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_load(tmp_path):
    rec = recordings.load(make(tmp_path))
    assert rec.samples.dtype == np.float32 and rec.samples.shape == (7 * SAMPLE_RATE, 2)
    assert rec.sample_rate == SAMPLE_RATE and rec.channels == 2 and rec.duration == 7.0
    assert rec.channel(1).shape == (7 * SAMPLE_RATE,)
    with pytest.raises(IndexError, match="numbered 0 to 1"):
        rec.channel(2)


def test_load_explains_failures(tmp_path):
    with pytest.raises(FileNotFoundError, match="download it again"):
        recordings.load(tmp_path / "missing.mp3")
    bad = tmp_path / "error.mp3"
    bad.write_text('{"title": "Not Found", "detail": "No recording"}')
    with pytest.raises(RecordingError, match="JSON error response"):
        recordings.load(bad)


def test_envelope_matches_brute_force_and_is_fast():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(10_007).astype(np.float32)
    times, mins, maxs = recordings.envelope(x, SAMPLE_RATE, max_points=100)
    assert len(times) == len(mins) == len(maxs) <= 100
    bucket = int(round(times[1] * SAMPLE_RATE))
    for i in (0, 37, len(mins) - 1):
        chunk = x[i * bucket : (i + 1) * bucket]
        assert mins[i] == chunk.min() and maxs[i] == chunk.max()
    assert mins.min() == x.min() and maxs.max() == x.max()
    long = np.zeros(1800 * SAMPLE_RATE, np.float32)  # half an hour
    started = time.perf_counter()
    recordings.envelope(long, SAMPLE_RATE)
    assert time.perf_counter() - started < 1.0
    with pytest.raises(ValueError, match="one channel"):
        recordings.envelope(np.zeros((10, 2)), SAMPLE_RATE)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "ogg"])
@pytest.mark.parametrize("split", [False, True])
def test_leading_silence_numpy(tmp_path, fmt, split):
    found = recordings.leading_silence(make(tmp_path, fmt, split), method="numpy")
    assert abs(found - SPEECH_AT) <= 0.02


@needs_ffmpeg
@pytest.mark.parametrize("fmt", ["wav", "mp3", "ogg"])
@pytest.mark.parametrize("split", [False, True])
def test_leading_silence_pydub_agrees_with_numpy(tmp_path, fmt, split):
    path = make(tmp_path, fmt, split)
    by_pydub = recordings.leading_silence(path, method="pydub")
    assert abs(by_pydub - SPEECH_AT) <= 0.02
    assert abs(by_pydub - recordings.leading_silence(path, method="numpy")) <= 0.01


@settings(max_examples=15, deadline=None)
@given(
    start=st.floats(0.0, 3.0),
    kind=st.sampled_from(["speech", "tts", "music", "beep", "dtmf"]),
    seed=st.integers(0, 1000),
)
def test_leading_silence_finds_the_first_sound(tmp_path_factory, start, kind, seed):
    path = tmp_path_factory.mktemp("lead") / "x.wav"
    sound = Sound(0, kind, start, start + 0.5, seed=seed, digit="9")
    encode_recording([sound], 0.0, 4.0, "wav", False, None, path)
    assert abs(recordings.leading_silence(path, method="numpy") - start) <= 0.02


def test_leading_silence_of_silence_is_everything(tmp_path):
    path = tmp_path / "quiet.wav"
    encode_recording([], 0, 2.5, "wav", False, None, path)
    assert recordings.leading_silence(path, method="numpy") == 2.5
    assert recordings.leading_silence(recordings.load(path)) == 2.5


@pytest.mark.parametrize(
    "method", ["numpy", pytest.param("pydub", marks=needs_ffmpeg)], ids=["numpy", "pydub"]
)
@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_trim_leading_silence(tmp_path, method, fmt):
    src = make(tmp_path, fmt)
    dst, cut = recordings.trim_leading_silence(src, tmp_path / f"trimmed.{fmt}", method=method)
    assert abs(cut - SPEECH_AT) <= 0.02
    trimmed = recordings.load(dst)
    assert abs(trimmed.duration - (7.0 - cut)) <= 0.05
    assert recordings.leading_silence(trimmed) <= 0.02
    _, kept = recordings.trim_leading_silence(src, tmp_path / "k.wav", keep_ms=200, method=method)
    assert abs(kept - (cut - 0.2)) <= 0.001


def test_trim_falls_back_without_ffmpeg(tmp_path, monkeypatch):
    src = make(tmp_path, "mp3")
    no_ffmpeg(monkeypatch)
    assert not recordings.has_ffmpeg()
    dst, cut = recordings.trim_leading_silence(src, tmp_path / "t.mp3")
    assert abs(cut - SPEECH_AT) <= 0.02 and dst.exists()
    with pytest.raises(RecordingError, match="apt-get install ffmpeg"):
        recordings.leading_silence(src, method="pydub")


def test_silent_spans(tmp_path):
    rec = recordings.load(make(tmp_path, "wav", split=True))
    spans = recordings.silent_spans(rec)
    assert spans[0] == (0.0, pytest.approx(SPEECH_AT, abs=0.01))
    assert any(abs(a - 4.5) < 0.02 and abs(b - 5.0) < 0.02 for a, b in spans)
    assert 5.8 <= spans[-1][0] <= 6.0 and spans[-1][1] == 7.0  # tts ends in its last syllable
    caller = recordings.silent_spans(rec, channel=0)  # the caller is quiet after 3 s
    assert 2.7 <= caller[-1][0] <= 3.0 and caller[-1][1] == 7.0
    assert all(b - a >= 0.5 for a, b in recordings.silent_spans(rec, min_seconds=0.5))


@needs_ffmpeg
def test_mp3_round_trip_with_pydub(tmp_path):
    mp3 = recordings.to_mp3(make(tmp_path, "wav"), tmp_path / "out" / "call.mp3", bitrate="32k")
    wav = recordings.to_wav(mp3, tmp_path / "back.wav")
    rec = recordings.load(wav)
    assert rec.channels == 2 and abs(rec.duration - 7.0) <= 0.05
    beep = rec.channel(1)[int(4.1 * SAMPLE_RATE) : int(4.4 * SAMPLE_RATE)]
    spectrum = np.abs(np.fft.rfft(beep))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / beep.size - BEEP_HZ) < 10
    mono = recordings.to_mp3(wav, tmp_path / "mono.mp3", mono=True)
    assert sf.info(mono).channels == 1


def test_conversions_fall_back_to_soundfile(tmp_path, monkeypatch):
    src = make(tmp_path, "ogg")
    no_ffmpeg(monkeypatch)
    status = recordings.ffmpeg_status()
    assert "not found" in status and "apt-get install ffmpeg" in status
    mp3 = recordings.to_mp3(src, tmp_path / "c.mp3", bitrate="16k", mono=True)
    info = sf.info(mp3)
    assert info.channels == 1 and info.frames == 7 * SAMPLE_RATE  # Info tag kept: exact
    wav = recordings.to_wav(mp3, tmp_path / "c.wav")
    assert sf.info(wav).subtype == "PCM_16" and sf.info(wav).frames == 7 * SAMPLE_RATE
    bad = tmp_path / "song.m4a"
    bad.write_bytes(b"\x00\x00\x00\x20ftypM4A ")
    with pytest.raises(RecordingError, match="apt-get install ffmpeg"):
        recordings.to_wav(bad, tmp_path / "song.wav")


def test_ffmpeg_status_is_one_line():
    status = recordings.ffmpeg_status()
    assert status and "\n" not in status


def test_split_keep_and_drop_channels(tmp_path):
    src = make(tmp_path, "wav", split=True, channels=3)
    rec = recordings.load(src)
    parts = recordings.split_channels(src, tmp_path / "parts")
    assert [p.name for p in parts] == ["call_ch0.wav", "call_ch1.wav", "call_ch2.wav"]
    for i, part in enumerate(parts):
        np.testing.assert_array_equal(recordings.load(part).samples[:, 0], rec.channel(i))

    caller = recordings.load(recordings.keep_channel(src, tmp_path / "caller.wav", 0))
    assert caller.channels == 1 and energy(caller.samples[int(4 * SAMPLE_RATE) :]) == 0.0
    without_app = recordings.load(recordings.drop_channel(src, tmp_path / "no_app.wav", 1))
    assert without_app.channels == 2
    np.testing.assert_array_equal(without_app.samples[:, 0], rec.channel(0))
    np.testing.assert_array_equal(without_app.samples[:, 1], rec.channel(2))
    with pytest.raises(RecordingError, match="at most 2 channels"):
        recordings.to_mp3(src, tmp_path / "x.mp3")


def test_drop_channel_on_mono_says_why(tmp_path):
    src = make(tmp_path, "mp3", split=False)
    with pytest.raises(RecordingError, match='split: "conversation"'):
        recordings.drop_channel(src, tmp_path / "x.mp3", 0)
    with pytest.raises(IndexError):
        recordings.keep_channel(src, tmp_path / "x.mp3", 1)


def test_drop_leg_from_stereo_mp3(tmp_path):
    src = make(tmp_path, "mp3", split=True)
    leg = recordings.load(recordings.drop_channel(src, tmp_path / "caller_only.mp3", 1))
    assert leg.channels == 1 and abs(leg.duration - 7.0) <= 0.05
    beep = slice(int(4.0 * SAMPLE_RATE), int(4.5 * SAMPLE_RATE))
    assert energy(leg.samples[beep]) < 1e-3 < energy(recordings.load(src).channel(1)[beep])


def test_recording_dataclass_from_arrays():
    rec = Recording(np.zeros((SAMPLE_RATE // 2, 1), np.float32), SAMPLE_RATE)
    assert rec.duration == 0.5 and recordings.silent_spans(rec) == [(0.0, 0.5)]
