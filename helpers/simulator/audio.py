"""Turn the simulator's timeline of sounds into a real recording file.

Every sample is a pure function of absolute call time: a window rendered in one block equals
the same window rendered in pieces, so long recordings stream through `soundfile` block by
block and never sit in memory whole. Outside every sound the signal is exact digital silence.
"""

from __future__ import annotations

import bisect
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
from .voices import TWO_PI, music, voice

KINDS = ("speech", "tts", "music", "beep", "dtmf", "socket")
APP_SOURCE = 1  # Sound.source of the NCCO's own audio; 0 is the first leg, 2.. other legs
FADE_SECONDS = 0.005  # linear fade at each edge of every sound, so no clicks
PIECE_FRAMES = 1 << 15  # render_block's unit of work: its temporaries fit in the cache

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


# --- generators: `tr` is seconds since the sound started (float64 array) ------------------
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
        return voice(tr, sound.seed, robotic=False)
    if sound.kind == "tts":
        return voice(tr, sound.seed, robotic=True)
    if sound.kind == "music":
        return music(tr, sound.seed)
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
