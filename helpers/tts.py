"""Words you can hear: text-to-speech with espeak-ng, from the package index.

The `espeakng-loader` wheel carries the espeak-ng shared library and its data (no system
package, no network); this module drives it through ctypes, synchronously, and resamples
its 22.05 kHz output to the recordings' SAMPLE_RATE. espeak-ng has no randomness, so the same
(text, voice) always gives the same samples; each is synthesised once and cached.

When the wheel is missing or fails to load, `synthesize` returns None and the lengths fall
back to assumptions.talk_seconds (the simulator then renders its synthetic voice instead).
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading

import numpy as np

from . import assumptions

#: espeak-ng voices: the NCCO's `talk` (an American English voice, as the Voice API's
#: default language en-US), and the scripted people's `say` lines (callees.voice_of picks
#: one per callee, so a listener can tell the people apart).
TALK_VOICE = "en-us"
PARTY_VOICES = ("en-gb+m3", "en-us+f3", "en-gb-x-rp+m5", "en-us+f4")
MAX_SAY_CHARS = 1000

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_CHARS_UTF8 = 1
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.c_void_p)
_lock = threading.Lock()  # espeak-ng keeps global state: one synthesis at a time
_engine: dict = {}


def _library_path() -> tuple[str, str] | None:
    """(shared library, data folder) of the espeakng-loader wheel; None when not installed."""
    if "paths" not in _engine:
        try:
            import espeakng_loader

            _engine["paths"] = (espeakng_loader.get_library_path(),
                                espeakng_loader.get_data_path())
        except (ImportError, RuntimeError):
            _engine["paths"] = None
    return _engine["paths"]


def _speak(text: str, voice: str) -> tuple[np.ndarray, int] | None:
    """Raw 16-bit samples and their rate, from a freshly loaded espeak-ng (lock held).

    espeak-ng keeps synthesis state in static variables that neither espeak_Terminate nor
    espeak_ng_SetRandSeed resets: the same text said twice in one process comes out a few
    samples different each time. Loading the library afresh for each synthesis and
    unloading it after (dlclose) makes every synthesis the first one: the same samples in
    every process. It costs about 30 ms, once per (text, voice) thanks to the cache.
    """
    paths = _library_path()
    if paths is None:
        return None
    chunks: list[np.ndarray] = []

    def collect(wav, n, _events):
        if n > 0 and wav:
            chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    callback = _CALLBACK(collect)
    try:
        lib = ctypes.CDLL(paths[0], mode=os.RTLD_LOCAL)
    except OSError:
        return None
    try:
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                          ctypes.c_int]
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, paths[1].encode(), 0)
        if rate <= 0:
            return None
        lib.espeak_SetSynthCallback(callback)
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            lib.espeak_SetVoiceByName(TALK_VOICE.encode())
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint,
                                     ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                     ctypes.c_void_p, ctypes.c_void_p]
        data = text.encode("utf-8")
        lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, _ESPEAK_CHARS_UTF8, None, None)
        lib.espeak_Synchronize()
        lib.espeak_Terminate()
    finally:
        _dlclose(lib)
    return (np.concatenate(chunks) if chunks else np.zeros(0, np.int16)), rate


def _dlclose(lib: ctypes.CDLL) -> None:
    libdl = ctypes.CDLL(None)
    libdl.dlclose.argtypes = [ctypes.c_void_p]
    libdl.dlclose(ctypes.c_void_p(lib._handle))


def available() -> bool:
    """Whether espeak-ng loaded (the `espeakng-loader` wheel is installed and works)."""
    if "available" not in _engine:
        _engine["available"] = synthesize("test") is not None
    return _engine["available"]


def _resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited resampling by FFT: deterministic, numpy only."""
    if rate_in == rate_out or x.size == 0:
        return x
    n_out = max(1, round(x.size * rate_out / rate_in))
    spectrum = np.fft.rfft(x)
    keep = min(spectrum.size, n_out // 2 + 1)
    out = np.fft.irfft(spectrum[:keep], n_out) * (n_out / x.size)
    return out


@functools.lru_cache(maxsize=512)
def synthesize(text: str, voice: str = TALK_VOICE) -> np.ndarray | None:
    """`text` spoken by espeak-ng in `voice`, float64 mono at SAMPLE_RATE; None without TTS.

    Leading and trailing silence is kept as espeak-ng makes it (a short pause), so the
    length is what the voice takes to say the text once. The array is read-only (cached).
    """
    text = str(text).strip()
    if not text:
        return None
    with _lock:
        spoken = _speak(text, voice)
    if spoken is None:
        return None
    raw, rate = spoken
    wave = _resample(raw.astype(np.float64) / 32768.0, rate,
                     assumptions.SAMPLE_RATE)
    wave = np.clip(0.9 * wave, -1.0, 1.0)
    wave.setflags(write=False)
    return wave


def spoken_seconds(text: str, voice: str = TALK_VOICE) -> float | None:
    """How long `voice` takes to say `text` once; None without TTS."""
    wave = synthesize(str(text), voice)
    return None if wave is None else wave.size / assumptions.SAMPLE_RATE


def talk_seconds(text: str) -> float:
    """Length of one `talk` of `text`: the synthesised speech, else the words estimate."""
    seconds = spoken_seconds(text, TALK_VOICE)
    return assumptions.talk_seconds(text) if seconds is None else seconds


def say_seconds(text: str, voice: str) -> float:
    """Length of a scripted person's `say` line in their voice, else the words estimate."""
    seconds = spoken_seconds(text, voice)
    return assumptions.talk_seconds(text) if seconds is None else seconds
