"""The simulator's own sounds, made from nothing: a synthetic voice (syllables with vowel
formants, for `speak` spans and `robotic` callees) and hold music, each a pure function of
seconds since the sound started and a seed, so a window rendered in pieces equals the same
window rendered whole (audio.render_block). `unit` is the deterministic randomness both use,
and the network model (network.py) too.
"""

from __future__ import annotations

import functools

import numpy as np

TWO_PI = 2.0 * np.pi
WAVETABLE_POINTS = 1024  # points per period in the voice's wavetable
#: sin(h x) for harmonics h = 1..18 over one period x in [0, 2 pi], WAVETABLE_POINTS + 1 points
_HARMONIC_TABLE = np.sin(np.arange(1, 19)[:, None] * np.arange(WAVETABLE_POINTS + 1)[None, :]
                         * (2.0 * np.pi / WAVETABLE_POINTS))

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


# --- deterministic randomness ---------------------------------------------------------------
_M1, _M2, _M3 = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xBF58476D1CE4E5B9),
    np.uint64(0x94D049BB133111EB),
)


def unit(seed: int, index: np.ndarray | int, salt: int) -> np.ndarray:
    """A value in [0, 1) that depends only on (seed, index, salt): a splitmix64 hash."""
    key = np.uint64((seed * 1_000_003 + salt * 7919) & 0xFFFFFFFFFFFFFFFF)
    x = np.atleast_1d(np.asarray(index, dtype=np.int64)).astype(np.uint64)
    with np.errstate(over="ignore"):  # wrap-around is the point of the hash
        x = x * _M1 + key
        x = (x ^ (x >> np.uint64(30))) * _M2
        x = (x ^ (x >> np.uint64(27))) * _M3
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


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
        base = 170.0 + 20.0 * unit(seed, 0, 1)[0]
        pitch = 1.0 + 0.05 * (np.floor(unit(seed, slots, 2) * 3) - 1)  # three fixed steps
        onset = np.zeros(slots.size)
        length = np.full(slots.size, 0.7 * slot)
        pause = slots % 6 == 5  # a word gap every sixth syllable
        loud = np.full(slots.size, 0.9)
        tilt = 0.5
    else:
        base = 110.0 + 110.0 * unit(seed, 0, 1)[0]
        pitch = 0.9 + 0.22 * unit(seed, slots, 2)
        onset = np.where(slots == 0, 0.0, 0.04 * unit(seed, slots, 3))
        length = np.minimum(slot * (0.45 + 0.45 * unit(seed, slots, 4)), slot - onset - 0.01)
        pause = (unit(seed, slots, 5) < 0.18) & (slots != 0)
        loud = 0.7 + 0.3 * unit(seed, slots, 6)
        tilt = 1.0
    vowel = VOWELS[(unit(seed, slots, 7) * len(VOWELS)).astype(int)]
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


def voice(tr: np.ndarray, seed: int, robotic: bool) -> np.ndarray:
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


def music(tr: np.ndarray, seed: int) -> np.ndarray:
    """A soft pad plus an arpeggio over I-V-vi-IV, two seconds per chord."""
    key = 57.0 + np.floor(unit(seed, 0, 11)[0] * 7)  # tonic between A3 and D#4 (MIDI)
    pattern = ARPEGGIOS[int(unit(seed, 0, 12)[0] * len(ARPEGGIOS))]
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
