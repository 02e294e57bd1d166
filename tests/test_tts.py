"""Words you can hear: espeak-ng speech for `talk` and for callees' `say` lines."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from helpers import assumptions, callees, tts
from helpers.simulator.audio import Sound, channel_map, encode_recording, render_block

pytestmark = pytest.mark.skipif(not tts.available(), reason="espeakng-loader not installed")
TEXT = "Please leave a message after the tone."
DIGEST = ("import hashlib, helpers.tts as t; "
          "print(hashlib.sha256(t.synthesize({!r}).tobytes()).hexdigest())")


def test_speech_is_16_khz_and_as_long_as_its_words():
    wave = tts.synthesize(TEXT)
    assert wave.dtype == np.float64 and wave.ndim == 1 and not wave.flags.writeable
    seconds = wave.size / assumptions.SAMPLE_RATE
    assert 1.5 < seconds < 4.0 and tts.talk_seconds(TEXT) == seconds
    assert 0.1 < np.abs(wave).max() <= 1.0
    spectrum = np.abs(np.fft.rfft(wave))
    freqs = np.fft.rfftfreq(wave.size, 1 / assumptions.SAMPLE_RATE)
    assert spectrum[(freqs > 100) & (freqs < 4000)].sum() > 0.8 * spectrum.sum()  # a voice


def test_speech_is_deterministic_within_and_across_processes():
    first = tts.synthesize(TEXT)
    tts.synthesize.cache_clear()
    again = tts.synthesize(TEXT)  # espeak-ng's own state would shift this: see tts._speak
    assert np.array_equal(first, again)
    other = subprocess.run([sys.executable, "-c", DIGEST.format(TEXT)], capture_output=True,
                           text=True, check=True).stdout.strip()
    assert other == hashlib.sha256(first.tobytes()).hexdigest()


def test_voices_differ_and_lengths_fall_back_without_tts(monkeypatch):
    a, b = (tts.synthesize("Hello there", v) for v in tts.PARTY_VOICES[:2])
    assert a.size != b.size or not np.array_equal(a, b)
    monkeypatch.setitem(tts._engine, "paths", None)
    tts.synthesize.cache_clear()
    try:
        assert tts.synthesize("Words") is None
        assert tts.talk_seconds(TEXT) == assumptions.talk_seconds(TEXT)
    finally:
        tts.synthesize.cache_clear()


def test_talk_renders_the_spoken_words(tmp_path):
    wave = tts.synthesize(TEXT)
    once = wave.size / assumptions.SAMPLE_RATE
    sound = Sound(1, "tts", 1.0, 1.0 + 2 * once, text=TEXT, voice=tts.TALK_VOICE)  # loop: 2
    path = tmp_path / "talk.wav"
    encode_recording([sound], 0.0, 1.0 + 2 * once, "wav", False, None, path)
    got = sf.read(path, dtype="float64")[0]
    start = assumptions.SAMPLE_RATE
    for k in range(2):  # both loops, sample for sample (16-bit rounding, edge fades aside)
        part = got[start + k * wave.size + 200:start + (k + 1) * wave.size - 200]
        np.testing.assert_allclose(part, wave[200:-200], atol=1.5 / 32768)
    assert np.all(got[:start] == 0.0)


def test_a_muted_stretch_resumes_mid_sentence():
    whole = Sound(0, "speech", 0.0, 3.0, text=TEXT, voice=tts.PARTY_VOICES[0])
    after = Sound(0, "speech", 1.5, 3.0, text=TEXT, voice=tts.PARTY_VOICES[0], origin=0.0)
    rate = assumptions.SAMPLE_RATE
    full = render_block([whole], 0.0, 3 * rate, 1, channel_map(False, None))
    rest = render_block([after], 0.0, 3 * rate, 1, channel_map(False, None))
    np.testing.assert_allclose(rest[int(1.6 * rate):int(2.9 * rate)],
                               full[int(1.6 * rate):int(2.9 * rate)], atol=1e-6)


def test_callee_say_steps_take_their_length_from_the_speech():
    callee = callees.parse_callee("447700900080", {"answer_after": 1, "script": [
        {"say": "Hello, this is Sam."}, {"silence": 1.0}, {"speak": 2.0, "text": "More"},
        {"hangup": True}]})
    voice = callees.voice_of(callee.name)
    (s0, e0, t0, v0), (s1, e1, t1, v1) = callee.plan.speech
    said = tts.synthesize("Hello, this is Sam.", voice).size / assumptions.SAMPLE_RATE
    assert (s0, e0, t0, v0) == (0.0, pytest.approx(said), "Hello, this is Sam.", voice)
    assert (s1, e1, t1, v1) == (pytest.approx(said + 1), pytest.approx(said + 3), "More", None)
    assert callee.plan.hangup == pytest.approx(said + 3)


@pytest.mark.parametrize("step, field", [
    ({"say": ""}, "script[0].say"), ({"say": "   "}, "script[0].say"),
    ({"say": 3}, "script[0].say"), ({"say": "x" * 1001}, "script[0].say"),
    ({"say": "hi", "text": "hi"}, "script[0].text"),
])
def test_bad_say_steps_are_refused(step, field):
    with pytest.raises(callees.ScriptError) as err:
        callees.parse_callee("447700900081", {"script": [step]})
    assert [p["name"] for p in err.value.problems] == [field]
    callees.parse_callee("447700900081", {"script": [{"say": "x" * 1000}]})  # the maximum
