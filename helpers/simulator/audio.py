"""Turn the simulator's timeline of sounds into a real recording file.

Every sample is a pure function of absolute call time: a window rendered in one block equals
the same window rendered in pieces, so long recordings stream through `soundfile` block by
block and never sit in memory whole. Outside every sound the signal is exact digital silence.
"""

from __future__ import annotations

import bisect
import functools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .. import tts
from ..assumptions import (
    BEEP_HZ,
    DEFAULT_SPLIT_CHANNELS,
    MP3_BITRATE_KBPS,
    MP3_MAX_CHANNELS,
    NCCO_AUDIO_CHANNEL,
    SAMPLE_RATE,
)
from ..files import atomic_write
from . import mp3
from .mp3 import add_info_tag  # noqa: F401 (part of this module's interface)

KINDS = ("speech", "tts", "music", "beep", "dtmf", "socket")
APP_SOURCE = 1  # Sound.source of the NCCO's own audio; 0 is the first leg, 2.. other legs
FADE_SECONDS = 0.005  # linear fade at each edge of every sound, so no clicks
PIECE_FRAMES = 1 << 15  # render_block's unit of work: its temporaries fit in the cache
TWO_PI = 2.0 * np.pi
WAVETABLE_POINTS = 1024  # points per period in the voice's wavetable
#: sin(h x) for harmonics h = 1..18 over one period x in [0, 2 pi], WAVETABLE_POINTS + 1 points
_HARMONIC_TABLE = np.sin(np.arange(1, 19)[:, None] * np.arange(WAVETABLE_POINTS + 1)[None, :]
                         * (2.0 * np.pi / WAVETABLE_POINTS))

def _mp3_level(kbps: float, sample_rate: int) -> float:
    """libsndfile's `compression_level` for a constant `kbps` MP3 at `sample_rate`.

    libsndfile (mpeg_l3_encode.c) maps level 0..1 linearly onto the MPEG version's bit-rate
    range, high to low: [320, 32] from 32 kHz (MPEG-1), [160, 8] from 16 kHz (MPEG-2),
    [64, 8] below (MPEG-2.5), truncating to an integer; a hair under the exact level keeps
    the truncation from landing 1 kbit/s low.
    """
    high, low = (320, 32) if sample_rate >= 32000 else (160, 8) if sample_rate >= 16000 else (64, 8)
    return min(1.0, max(0.0, (high - kbps) / (high - low) - 1e-6))


#: soundfile (format, subtype, extra SoundFile options) per recording format (MP3 goes through
#: libsndfile only where libmp3lame is missing: see mp3). MP3 is constant MP3_BITRATE_KBPS
#: (32 kbit/s at 16 kHz, as the recording guide documents). Two known side effects of so low
#: a rate, in LAME and the decoders rather than in the file's audio: a 144-byte MPEG-2 frame
#: has no room for LAME's Info tag, so decoders cannot trim the encoder's padding (the file
#: decodes about 0.1 s longer than the recording; mp3.add_info_tag puts the tag back), and
#: libmpg123 prints "part2_3_length too large" (and, in stereo, garbles) when libsndfile reads
#: the file in blocks that are not whole MP3 frames; reading it whole (`sf.read`, pydub,
#: ffmpeg) is clean.
FORMATS = {
    "mp3": ("MP3", "MPEG_LAYER_III", {"bitrate_mode": "CONSTANT",
                                      "compression_level": _mp3_level(MP3_BITRATE_KBPS,
                                                                      SAMPLE_RATE)}),
    "wav": ("WAV", "PCM_16", {}),
    "ogg": ("OGG", "VORBIS", {}),
}

DTMF_ROWS = {"123A": 697.0, "456B": 770.0, "789C": 852.0, "*0#D": 941.0}
DTMF_COLS = {"147*": 1209.0, "2580": 1336.0, "369#": 1477.0, "ABCD": 1633.0}

# Vowel formants (F1, F2) in Hz; a syllable's vowel is picked by hash.
VOWELS = np.array(
    [
        (730, 1090),
        (270, 2290),
        (530, 1840),
        (300, 870),
        (570, 840),
        (440, 1020),
        (660, 1720),
        (390, 1990),
    ],
    dtype=float,
)


@dataclass(frozen=True)
class Sound:
    """One sound on the call timeline (seconds); `source` picks its channel when split."""

    source: int  # 0 = first leg's voice, 1 = the app (talk, stream, beep), 2.. = other legs
    kind: str  # "speech" | "tts" | "music" | "beep" | "dtmf"
    start: float
    end: float
    seed: int = 0
    digit: str | None = None
    text: str | None = None  # the words (talk, say) or a `speak` span's label
    voice: str | None = None  # espeak-ng voice that says `text`; None: synthetic voice
    origin: float | None = None  # when the sound's content began, if before `start` (a piece)
    audio: str | None = None  # "socket": 16 kHz s16le samples from a WebSocket, from `origin`


def channel_map(
    split: bool, channels: int | None, participants: Sequence[int] | None = None
) -> Callable[[int], int]:
    """Which channel each sound source lands in.

    Unsplit: everything in channel 0. Split: the participants (sources of people: 0 the
    first leg, 2.. the connected legs) take channels in `participants` order, i.e. join
    order, and those beyond the last channel share it (recording guide, "Multi channel
    recording"); the NCCO's own audio (source 1) lands on NCCO_AUDIO_CHANNEL. Without
    `participants` the order is 0, 2, 3, ...: the legs in the order they were connected.
    """
    last = n_channels(split, channels) - 1
    if last == 0:
        return lambda source: 0
    order = {int(s): i for i, s in enumerate(participants)} if participants is not None \
        else None

    def channel_of(source: int) -> int:
        source = int(source)
        if source == APP_SOURCE:
            return min(NCCO_AUDIO_CHANNEL, last)
        if order is not None:
            return min(order.get(source, last), last)
        return min(source if source < APP_SOURCE else source - 1, last)

    return channel_of


def n_channels(split: bool, channels: int | None) -> int:
    """Channels in the file: 1 unless split, then `channels` or the default (2)."""
    if not split:
        return 1
    count = DEFAULT_SPLIT_CHANNELS if channels is None else int(channels)
    if count < 1:
        raise ValueError(f"channels must be at least 1, got {channels!r}")
    return count


def dtmf_frequencies(digit: str) -> tuple[float, float]:
    """The (low, high) frequency pair of a DTMF key."""
    key = str(digit).upper()
    low = next((f for keys, f in DTMF_ROWS.items() if key in keys), None)
    high = next((f for keys, f in DTMF_COLS.items() if key in keys), None)
    if len(key) != 1 or low is None or high is None:
        raise ValueError(f"not a DTMF key: {digit!r} (use 0-9, *, # or A-D)")
    return low, high


# --- deterministic randomness ---------------------------------------------------------------
_M1, _M2, _M3 = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xBF58476D1CE4E5B9),
    np.uint64(0x94D049BB133111EB),
)


def _unit(seed: int, index: np.ndarray | int, salt: int) -> np.ndarray:
    """A value in [0, 1) that depends only on (seed, index, salt): a splitmix64 hash."""
    key = np.uint64((seed * 1_000_003 + salt * 7919) & 0xFFFFFFFFFFFFFFFF)
    x = np.atleast_1d(np.asarray(index, dtype=np.int64)).astype(np.uint64)
    with np.errstate(over="ignore"):  # wrap-around is the point of the hash
        x = x * _M1 + key
        x = (x ^ (x >> np.uint64(30))) * _M2
        x = (x ^ (x >> np.uint64(27))) * _M3
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


# --- generators: `tr` is seconds since the sound started (float64 array) ------------------
SYLLABLE_PAGE = 32  # syllables worked out together and kept (see _syllable_page)


@functools.lru_cache(maxsize=16)  # ~4 MiB: the pages that blocks being rendered read
def _syllable_page(seed: int, robotic: bool, page: int) -> tuple[np.ndarray, ...]:
    """Syllables page * SYLLABLE_PAGE onwards of a voice: begin (s), length (s), pause, loud,
    f0 and each one's wavetable (one period of its harmonic sum). Each depends only on its
    own slot number, so working them out a page at a time (and keeping recent pages: a call
    is rendered in pieces of a few seconds, in time order) gives the same values as one by one.
    """
    slot = 0.2 if robotic else 0.25
    slots = np.arange(page * SYLLABLE_PAGE, (page + 1) * SYLLABLE_PAGE)
    if robotic:
        base = 170.0 + 20.0 * _unit(seed, 0, 1)[0]
        pitch = 1.0 + 0.05 * (np.floor(_unit(seed, slots, 2) * 3) - 1)  # three fixed steps
        onset = np.zeros(slots.size)
        length = np.full(slots.size, 0.7 * slot)
        pause = slots % 6 == 5  # a word gap every sixth syllable
        loud = np.full(slots.size, 0.9)
        tilt = 0.5
    else:
        base = 110.0 + 110.0 * _unit(seed, 0, 1)[0]
        pitch = 0.9 + 0.22 * _unit(seed, slots, 2)
        onset = np.where(slots == 0, 0.0, 0.04 * _unit(seed, slots, 3))
        length = np.minimum(slot * (0.45 + 0.45 * _unit(seed, slots, 4)), slot - onset - 0.01)
        pause = (_unit(seed, slots, 5) < 0.18) & (slots != 0)
        loud = 0.7 + 0.3 * _unit(seed, slots, 6)
        tilt = 1.0
    vowel = VOWELS[(_unit(seed, slots, 7) * len(VOWELS)).astype(int)]
    f0 = base * pitch  # per syllable
    harmonics = np.arange(1, 19)
    freqs = f0[:, None] * harmonics[None, :]
    gains = harmonics[None, :] ** -tilt * (
        1.0
        + 4.0 * np.exp(-(((freqs - vowel[:, :1]) / 120.0) ** 2))
        + 2.5 * np.exp(-(((freqs - vowel[:, 1:]) / 200.0) ** 2))
    )
    gains[freqs > 3500.0] = 0.0  # a telephone voice band, below 3.5 kHz even with vibrato
    gains /= gains.sum(axis=1, keepdims=True)
    # (einsum, not `@`: a BLAS matrix product here spins up BLAS threads that burn CPU)
    table = np.einsum("sh,hp->sp", gains, _HARMONIC_TABLE[: harmonics.size])
    begin = slots * slot + onset  # when each syllable begins, seconds
    page_values = (begin, length, pause, loud, f0, table)
    for values in page_values:
        values.setflags(write=False)  # shared by every block that reads the page
    return page_values


def _syllables(seed: int, robotic: bool, first: int, last: int) -> tuple[np.ndarray, ...]:
    """_syllable_page's values for slots first..last."""
    pages = [_syllable_page(int(seed), bool(robotic), page)
             for page in range(first // SYLLABLE_PAGE, last // SYLLABLE_PAGE + 1)]
    skip = first - (first // SYLLABLE_PAGE) * SYLLABLE_PAGE
    stop = skip + last - first + 1
    if len(pages) == 1:
        return tuple(values[skip:stop] for values in pages[0])
    return tuple(np.concatenate([page[i] for page in pages])[skip:stop]
                 for i in range(len(pages[0])))


def _voice(tr: np.ndarray, seed: int, robotic: bool) -> np.ndarray:
    """Harmonic voice with formants, shaped into syllables on a 4-5 Hz grid."""
    slot = 0.2 if robotic else 0.25
    first, last = int(np.floor(tr[0] / slot)), int(np.floor(tr[-1] / slot))
    begin, length, pause, loud, f0, table = _syllables(seed, robotic, first, last)
    vibrato, glide = (0.0, 0.0) if robotic else (0.02, 0.3)
    table = table.ravel()

    # Each syllable sounds where 0 < u < length (u: seconds since it began), inside its slot:
    # find those samples by bisection and synthesise only them (the rest is silence).
    lo = np.searchsorted(tr, begin, side="right")
    hi = np.searchsorted(tr, begin + length, side="left")
    counts = np.where(pause, 0, np.maximum(hi - lo, 0))
    out = np.zeros_like(tr)
    n = int(counts.sum())
    if not n:
        return out
    # Each voiced sample's syllable values by np.repeat (the syllables' samples are runs, in
    # order), cheaper than indexing with a syllable number per sample; the arithmetic below
    # is the same, in place where it can be.
    def each(values: np.ndarray) -> np.ndarray:
        return np.repeat(values, counts)

    voiced = np.arange(n) + each(lo - (np.cumsum(counts) - counts))
    uu = tr[voiced]
    uu -= each(begin)
    # 20 ms attack, 50 ms release: never both under 1, a syllable lasting over 0.11 s.
    env = uu / 0.02
    release = each(length)
    release -= uu
    release /= 0.05
    np.minimum(env, release, out=env)
    np.minimum(env, 1.0, out=env)
    env *= each(loud)
    cycles = uu * glide  # the integral of a gliding, vibrating pitch, in periods
    cycles /= 2.0
    np.subtract(1.0, cycles, out=cycles)
    cycles *= uu
    if vibrato:
        wobble = uu * (TWO_PI * 5.5)
        np.cos(wobble, out=wobble)
        np.subtract(1.0, wobble, out=wobble)
        wobble *= vibrato
        wobble /= TWO_PI * 5.5
        cycles += wobble
    cycles *= each(f0)
    # One period of each syllable's harmonic sum, tabulated and read with linear
    # interpolation: a few operations per sample instead of some per harmonic (the table's
    # error is below -70 dB of the voice at 1024 points, far under the MP3's noise).
    position = cycles - np.floor(cycles)
    position *= WAVETABLE_POINTS
    point = position.astype(np.int64)
    position -= point
    point += each(np.arange(begin.size) * (WAVETABLE_POINTS + 1))
    below = table.take(point)
    wave = table[1:].take(point)  # the next point
    wave -= below
    wave *= position
    wave += below
    env *= 0.62
    env *= wave
    out[voiced] = env
    return out


# I - V - vi - IV as semitones above the key's tonic: (root, third, fifth).
CHORDS = np.array([(0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12)], dtype=float)
ARPEGGIOS = np.array([(0, 1, 2, 1), (0, 2, 1, 2), (2, 1, 0, 1)])


def _music(tr: np.ndarray, seed: int) -> np.ndarray:
    """A soft pad plus an arpeggio over I-V-vi-IV, two seconds per chord."""
    key = 57.0 + np.floor(_unit(seed, 0, 11)[0] * 7)  # tonic between A3 and D#4 (MIDI)
    pattern = ARPEGGIOS[int(_unit(seed, 0, 12)[0] * len(ARPEGGIOS))]
    chord_i = np.floor(tr / 2.0).astype(np.int64)
    tau = tr - 2.0 * chord_i  # seconds into the chord
    notes = key + CHORDS[chord_i % len(CHORDS)]  # (n, 3) MIDI numbers
    hz = 440.0 * 2.0 ** ((notes - 69.0) / 12.0)
    pad_env = np.clip(tau / 0.03, 0.0, 1.0) * np.clip((2.0 - tau) / 0.03, 0.0, 1.0)
    out = 0.045 * np.sin(TWO_PI * hz[:, 0] / 2.0 * tau)  # bass: the root an octave down
    for j in range(3):
        out += 0.035 * np.sin(TWO_PI * hz[:, j] * tau)
    out *= pad_env
    step = np.minimum(np.floor(tau / 0.5).astype(np.int64), 3)
    t_note = tau - 0.5 * step
    arp_hz = 2.0 * hz[np.arange(tr.size), pattern[step]]
    arp_env = (
        np.clip(t_note / 0.005, 0.0, 1.0)
        * np.exp(-4.0 * t_note)
        * np.clip((0.5 - t_note) / 0.01, 0.0, 1.0)
    )
    return out + 0.08 * arp_env * np.sin(TWO_PI * arp_hz * t_note)


def _words(sound: Sound, tr: np.ndarray) -> np.ndarray | None:
    """The sound's text as espeak-ng speech, repeated to fill the sound; None without TTS."""
    if not sound.text or not sound.voice or sound.kind not in ("speech", "tts"):
        return None  # a `speak` span's text only labels the synthetic voice
    wave = tts.synthesize(sound.text, sound.voice)
    if wave is None or wave.size == 0:
        return None
    index = np.floor(tr * SAMPLE_RATE + 0.5).astype(np.int64) % wave.size  # `loop` repeats
    return wave[index]


def _samples(sound: Sound, tr: np.ndarray) -> np.ndarray:
    """A WebSocket's audio (simulator/sockets.py): the samples its file holds at `tr`."""
    try:
        data = np.memmap(sound.audio, dtype="<i2", mode="r")
    except (OSError, ValueError):  # an empty or missing file: silence
        return np.zeros_like(tr)
    index = np.floor(tr * SAMPLE_RATE + 0.5).astype(np.int64)
    inside = (index >= 0) & (index < data.size)
    out = np.zeros_like(tr)
    out[inside] = data[index[inside]] / 32768.0
    return out


def _tone(sound: Sound, tr: np.ndarray) -> np.ndarray:
    if sound.kind == "socket":
        return _samples(sound, tr)
    words = _words(sound, tr)
    if words is not None:
        return words
    if sound.kind == "speech":
        return _voice(tr, sound.seed, robotic=False)
    if sound.kind == "tts":
        return _voice(tr, sound.seed, robotic=True)
    if sound.kind == "music":
        return _music(tr, sound.seed)
    if sound.kind == "beep":
        return 0.4 * np.sin(TWO_PI * BEEP_HZ * tr)
    if sound.kind == "dtmf":
        low, high = dtmf_frequencies(sound.digit or "")
        return 0.25 * (np.sin(TWO_PI * low * tr) + np.sin(TWO_PI * high * tr))
    raise ValueError(f"unknown sound kind {sound.kind!r} (expected one of {', '.join(KINDS)})")


def render_block(
    sounds: Sequence[Sound],
    t0: float,
    n_frames: int,
    n_channels: int,
    channel_of: Callable[[int], int],
) -> np.ndarray:
    """Mix `sounds` into float32 (n_frames, n_channels); frame k is time t0 + k/SAMPLE_RATE.

    Works through the block PIECE_FRAMES at a time, so that the synthesisers' temporary
    arrays stay in the processor's cache rather than streaming megabytes through memory
    (several times faster on long blocks); every sample is computed as in one pass.
    """
    out = np.empty((max(n_frames, 0), n_channels), dtype=np.float32)
    if n_frames <= 0:
        return out
    t_end = t0 + n_frames / SAMPLE_RATE
    live = [s for s in sounds if not (s.end <= t0 or s.start >= t_end or s.end <= s.start)]
    for a in range(0, n_frames, PIECE_FRAMES):
        out[a:a + PIECE_FRAMES] = _render_piece(live, t0, a, min(n_frames, a + PIECE_FRAMES),
                                                n_channels, channel_of)
    return out


def _render_piece(
    sounds: Sequence[Sound],
    t0: float,
    begin: int,
    stop: int,
    n_channels: int,
    channel_of: Callable[[int], int],
) -> np.ndarray:
    """Frames begin..stop-1 of render_block(sounds, t0, ...), clipped, as float64."""
    out = np.zeros((stop - begin, n_channels), dtype=np.float64)
    for sound in sounds:
        first = max(begin, int(np.ceil((sound.start - t0) * SAMPLE_RATE)))
        last = (
            stop
            if sound.end == np.inf
            else min(stop, int(np.ceil((sound.end - t0) * SAMPLE_RATE)))
        )
        if last <= first:
            continue
        tr = (t0 - sound.start) + np.arange(first, last) / SAMPLE_RATE
        shift = 0.0 if sound.origin is None else sound.start - sound.origin
        heard = getattr(sound, "heard", _tone)  # a party's bad network: network.NetworkSound
        tone = heard(sound, tr + shift if shift else tr)
        # A linear fade over FADE_SECONDS at each edge, 1 elsewhere: only the edges are scaled.
        duration = sound.end - sound.start
        rise = int(np.searchsorted(tr, FADE_SECONDS))
        fall = tr.size if sound.end == np.inf else int(np.searchsorted(tr, duration - FADE_SECONDS))
        column = out[first - begin:last - begin, channel_of(sound.source)]
        if rise < fall:
            column[:rise] += tone[:rise] * np.clip(tr[:rise] / FADE_SECONDS, 0.0, 1.0)
            column[rise:fall] += tone[rise:fall]
            column[fall:] += tone[fall:] * np.clip((duration - tr[fall:]) / FADE_SECONDS, 0.0, 1.0)
        else:  # shorter than both fades
            column += tone * (np.clip(tr / FADE_SECONDS, 0.0, 1.0)
                              * np.clip((duration - tr) / FADE_SECONDS, 0.0, 1.0))
    np.clip(out, -1.0, 1.0, out=out)
    return out


class _Window:
    """Sounds sorted by start, handed out block by block in time order (a sweep line)."""

    def __init__(self, sounds: Sequence[Sound], start: float, end: float):
        self.sounds = sorted(
            (s for s in sounds if s.end > start and s.start < end and s.end > s.start),
            key=lambda s: s.start,
        )
        self.starts = [s.start for s in self.sounds]
        self.next = 0
        self.active: list[Sound] = []

    def overlapping(self, t0: float, t1: float) -> list[Sound]:
        stop = bisect.bisect_left(self.starts, t1)
        self.active.extend(self.sounds[self.next : stop])
        self.next = max(self.next, stop)
        self.active = [s for s in self.active if s.end > t0]
        return self.active


def encode_recording(
    sounds: Sequence[Sound],
    start: float,
    end: float,
    fmt: str,
    split: bool,
    channels: int | None,
    path: str | os.PathLike,
    block_seconds: float = 30.0,
    participants: Sequence[int] | None = None,
) -> int:
    """Write [start, end) of the call as `fmt` (mp3/wav/ogg) to `path`; return its byte size.

    Streams one block at a time into a temporary file next to `path`, then renames it. MP3
    blocks are rendered and encoded by parallel threads when libmp3lame is installed (see
    mp3), else in one libsndfile stream with one block rendered ahead. `participants`: the
    people's sound sources in join order (see channel_map).
    """
    fmt = str(fmt).lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown recording format {fmt!r}: use one of {', '.join(FORMATS)}")
    if end < start:
        raise ValueError(f"recording ends ({end}) before it starts ({start})")
    n_ch = n_channels(split, channels)
    if fmt == "mp3" and n_ch > MP3_MAX_CHANNELS:
        raise ValueError(
            f"an MP3 recording holds at most {MP3_MAX_CHANNELS} channels, not "
            f"{n_ch}: record with format 'wav' or 'ogg' instead"
        )
    container, subtype, options = FORMATS[fmt]
    channel_of = channel_map(split, channels, participants)
    total = round((end - start) * SAMPLE_RATE)
    block = max(1, round(block_seconds * SAMPLE_RATE))
    window = _Window(sounds, start, end)
    path = Path(path)

    def render(offset: int) -> np.ndarray:
        n = min(block, total - offset)
        t0 = start + offset / SAMPLE_RATE
        return render_block(window.overlapping(t0, t0 + n / SAMPLE_RATE), t0, n, n_ch, channel_of)

    def encode(tmp: Path) -> None:
        # One worker renders block i+1 while this thread encodes block i (numpy and
        # libsndfile both release the GIL): two blocks in memory at most.
        with (
            ThreadPoolExecutor(max_workers=1) as pool,
            sf.SoundFile(
                tmp,
                "w",
                samplerate=SAMPLE_RATE,
                channels=n_ch,
                subtype=subtype,
                format=container,
                **options,
            ) as out,
        ):
            pending = pool.submit(render, 0) if total else None
            for offset in range(0, total, block):
                data = pending.result()
                if offset + block < total:
                    pending = pool.submit(render, offset + block)
                out.write(data)
        if fmt == "mp3" and total:  # no samples, no frame: an empty file (0 bytes)
            add_info_tag(tmp, total)

    def encode_mp3(tmp: Path) -> None:
        # Blocks of whole frames, rendered and encoded by parallel threads (see mp3).
        in_time = window.sounds

        def render_any(first: int, n: int) -> np.ndarray:
            t0 = start + first / SAMPLE_RATE
            t1 = t0 + n / SAMPLE_RATE
            hearing = [s for s in in_time[:bisect.bisect_left(window.starts, t1)] if s.end > t0]
            return render_block(hearing, t0, n, n_ch, channel_of)

        with open(tmp, "wb") as out:
            if total:  # no samples, no frame: an empty file (0 bytes)
                mp3.encode_blocks(render_any, total, n_ch, out, SAMPLE_RATE, MP3_BITRATE_KBPS,
                                  block_frames=max(1, round(block / mp3.FRAME_SAMPLES)))
        if total:
            add_info_tag(tmp, total)

    writer = encode_mp3 if fmt == "mp3" and mp3.available() else encode
    atomic_write(path, writer, mode=0o600)  # recordings hold voices: owner only
    return os.path.getsize(path)
