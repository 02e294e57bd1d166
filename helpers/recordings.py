"""What to do with a downloaded recording: load it, plot it, convert, trim, split by leg.

pydub (with ffmpeg) is the tool the support articles use; when ffmpeg is missing every
function falls back to soundfile, which reads and writes wav, ogg and mp3 by itself.
Channels are numbered from 0: in a split recording channel 0 is the caller.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .assumptions import MP3_MAX_CHANNELS  # an mp3 holds mono or stereo only

INSTALL_HINT = "Install ffmpeg with `apt-get install ffmpeg` (macOS: `brew install ffmpeg`)."
WRITABLE = {".wav": ("WAV", "PCM_16"), ".ogg": ("OGG", "VORBIS"), ".mp3": ("MP3", "MPEG_LAYER_III")}


class RecordingError(ValueError):
    """A recording that cannot be read, written or converted as asked."""


@dataclass
class Recording:
    """Decoded audio: `samples` is float32 (frames, channels) in [-1, 1]."""

    samples: np.ndarray
    sample_rate: int
    path: Path | None = None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.shape[0] / self.sample_rate

    @property
    def channels(self) -> int:
        """Number of channels (1 unless the call was recorded with split)."""
        return self.samples.shape[1]

    def channel(self, index: int) -> np.ndarray:
        """One channel as a 1-D array (0 = the caller in a split recording)."""
        return self.samples[:, _check_channel(index, self.channels)]


def load(path: str | Path) -> Recording:
    """Decode an mp3, wav or ogg file with soundfile."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No recording at {path}: check the path, or download it again "
            "(helpers.download_recording returns where it saved the file)."
        )
    try:
        samples, rate = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        with path.open("rb") as handle:
            head = handle.read(64).lstrip()
        hint = (
            "it is a JSON error response, not audio: print its text to see why the download "
            "failed (401: wrong application's JWT; 404: expired or unknown recording)."
            if head[:1] in (b"{", b"[")
            else "download it again; if it still fails, check it is mp3, wav or ogg "
            "(`ffprobe FILE` says what it is)."
        )
        raise RecordingError(f"Cannot decode {path} as audio ({err}): {hint}") from None
    return Recording(samples, int(rate), path)


def _as_recording(source: str | Path | Recording) -> Recording:
    return source if isinstance(source, Recording) else load(source)


def _check_channel(index: int, channels: int) -> int:
    if not 0 <= index < channels:
        raise IndexError(
            f"channel {index} does not exist: this recording has {channels} channel(s), "
            f"numbered 0 to {channels - 1} (a mono recording has only channel 0)."
        )
    return index


def envelope(
    samples_1d: np.ndarray, sample_rate: int, max_points: int = 4000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, mins, maxs) per bucket: plot with `fill_between` to draw hours of audio fast."""
    x = np.asarray(samples_1d)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(
            f"envelope takes one channel, got shape {x.shape}: pass recording.channel(0)."
        )
    if x.size <= max_points:
        return np.arange(x.size) / sample_rate, x.copy(), x.copy()
    bucket = math.ceil(x.size / max_points)
    full = x.size // bucket
    body = x[: full * bucket].reshape(full, bucket)
    mins, maxs = body.min(axis=1), body.max(axis=1)
    if full * bucket < x.size:
        tail = x[full * bucket :]
        mins, maxs = np.append(mins, tail.min()), np.append(maxs, tail.max())
    return np.arange(mins.size) * bucket / sample_rate, mins, maxs


# --- ffmpeg / pydub ----------------------------------------------------------------------------
def _pydub():
    """The pydub module when ffmpeg and ffprobe are installed and it imports, else None."""
    if not (shutil.which("ffmpeg") and shutil.which("ffprobe")):
        return None
    try:
        # Imported here: pydub needs audioop, gone from Python 3.13 (pip install audioop-lts).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # audioop's, on 3.12
            import pydub
            import pydub.silence  # noqa: F401
    except ImportError:
        return None
    return pydub


def has_ffmpeg() -> bool:
    """True when pydub can convert (ffmpeg and ffprobe on PATH, pydub importable)."""
    return _pydub() is not None


def ffmpeg_status() -> str:
    """One line saying what can convert audio here, and how to fix what is missing."""
    missing = [tool for tool in ("ffmpeg", "ffprobe") if not shutil.which(tool)]
    fallback = f"the lab uses soundfile (libsndfile {sf.__libsndfile_version__}) for wav, ogg, mp3"
    if missing:
        return f"{' and '.join(missing)} not found, so {fallback}. {INSTALL_HINT}"
    try:
        version = subprocess.run(
            ["ffmpeg", "-version"], capture_output=True, text=True, timeout=10
        ).stdout.split()[:3]
        version = " ".join(version) or "ffmpeg"
    except (OSError, subprocess.SubprocessError):
        version = "ffmpeg"
    if _pydub() is None:
        return f"{version} found, but pydub does not import (pip install audioop-lts on 3.13+)."
    return f"{version} and ffprobe found: pydub converts mp3, wav and ogg."


def _kind(dst: Path) -> str:
    if dst.suffix.lower() not in WRITABLE:
        raise RecordingError(f"Cannot write {dst.name}: use a .wav, .ogg or .mp3 file name.")
    return dst.suffix.lower()[1:]


def _mp3_options(sample_rate: int, bitrate: str) -> dict:
    """soundfile options for a constant-bitrate MP3 near `bitrate` ("64k" or 64000).

    Floors: below 16 kHz 64k, as lower rates make libmpg123 print "part2_3_length" errors
    when the file is read in blocks; elsewhere frames big enough for LAME's Info tag, without
    which players cannot trim the encoder's padding (the file decodes ~0.2 s too long).
    """
    kbps = float(str(bitrate).lower().rstrip("k"))
    kbps = kbps / 1000 if kbps > 1000 else kbps
    low, high = (32, 320) if sample_rate >= 32000 else (8, 160) if sample_rate >= 16000 else (8, 64)
    per_frame = 1152 if sample_rate >= 32000 else 576
    floor = 64 if sample_rate < 16000 else 200 * 8 * sample_rate / per_frame / 1000
    kbps = min(max(kbps, low, floor), high)
    return {"bitrate_mode": "CONSTANT", "compression_level": (high - kbps) / (high - low)}


def _write(
    samples: np.ndarray, sample_rate: int, dst: Path, bitrate: str = "64k", kind: str = ""
) -> Path:
    """Write float samples with soundfile, as `kind` or the file name's format."""
    kind = kind or _kind(dst)
    container, subtype = WRITABLE["." + kind]
    options: dict = {}
    if kind == "mp3":
        if samples.shape[1] > MP3_MAX_CHANNELS:
            raise RecordingError(
                f"MP3 holds at most 2 channels, this audio has {samples.shape[1]}: write .wav "
                "or .ogg, or keep fewer channels (keep_channel / split_channels)."
            )
        options = _mp3_options(sample_rate, bitrate)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with sf.SoundFile(
        dst, "w", sample_rate, samples.shape[1], subtype, format=container, **options
    ) as out:
        out.write(samples)
    return dst


def _decode_for_fallback(src: Path) -> Recording:
    try:
        return load(src)
    except RecordingError as err:
        raise RecordingError(
            f"{err} Without ffmpeg only soundfile can read it. {INSTALL_HINT}"
        ) from None


def to_mp3(src: str | Path, dst: str | Path, bitrate: str = "64k", mono: bool = False) -> Path:
    """Convert to MP3 with pydub (ffmpeg), or with soundfile when ffmpeg is missing."""
    src, dst = Path(src), Path(dst)
    pydub = _pydub()
    if pydub is None:
        rec = _decode_for_fallback(src)
        samples = rec.samples.mean(axis=1, keepdims=True) if mono else rec.samples
        return _write(samples, rec.sample_rate, dst, bitrate, kind="mp3")
    segment = pydub.AudioSegment.from_file(src)
    if mono:
        segment = segment.set_channels(1)
    elif segment.channels > MP3_MAX_CHANNELS:
        raise RecordingError(
            f"MP3 holds at most 2 channels, {src.name} has {segment.channels}: pass mono=True "
            "or split_channels() first."
        )
    dst.parent.mkdir(parents=True, exist_ok=True)
    segment.export(dst, format="mp3", bitrate=bitrate)
    return dst


def to_wav(src: str | Path, dst: str | Path) -> Path:
    """Convert to 16-bit WAV with pydub (ffmpeg), or with soundfile when ffmpeg is missing."""
    src, dst = Path(src), Path(dst)
    pydub = _pydub()
    if pydub is None:
        rec = _decode_for_fallback(src)
        return _write(rec.samples, rec.sample_rate, dst, kind="wav")
    dst.parent.mkdir(parents=True, exist_ok=True)
    pydub.AudioSegment.from_file(src).export(dst, format="wav")
    return dst


# --- silence -----------------------------------------------------------------------------------
def _chunk_dbfs(
    samples: np.ndarray, sample_rate: int, chunk_ms: float, batch: int = 6000
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Loudness of `chunk_ms` slices as pydub measures it: (start ms, dBFS) a batch at a time.

    As in pydub, slice [ms, ms + chunk_ms) starts at frame int(ms * rate / 1000), samples are
    16-bit, and the RMS pools all channels and is truncated to an integer.
    """
    length_ms = round(1000 * samples.shape[0] / sample_rate)
    all_starts = np.arange(0, length_ms, chunk_ms, dtype=np.float64)
    for i in range(0, all_starts.size, batch):
        starts = all_starts[i : i + batch]
        a = (starts * sample_rate / 1000.0).astype(np.int64)
        b = (np.minimum(starts + chunk_ms, length_ms) * sample_rate / 1000.0).astype(np.int64)
        b = np.minimum(b, samples.shape[0])
        ints = np.clip(np.round(samples[a[0] : b[-1]] * 32768.0), -32768, 32767)
        sums = np.concatenate(([0.0], np.cumsum((ints.astype(np.float64) ** 2).sum(axis=1))))
        with np.errstate(divide="ignore", invalid="ignore"):
            rms = np.floor(
                np.sqrt((sums[b - a[0]] - sums[a - a[0]]) / ((b - a) * samples.shape[1]))
            )
            db = np.where(rms > 0, 20.0 * np.log10(rms / 32768.0), -np.inf)
        yield starts, db


def _leading_ms_numpy(rec: Recording, threshold_db: float, chunk_ms: float) -> float:
    """detect_leading_silence's answer in ms, computed with numpy; stops at the first sound."""
    length_ms = round(1000 * rec.samples.shape[0] / rec.sample_rate)
    for starts, db in _chunk_dbfs(rec.samples, rec.sample_rate, chunk_ms):
        loud = np.flatnonzero(db >= threshold_db)
        if loud.size:
            return float(min(starts[loud[0]], length_ms))
    return float(length_ms)


def leading_silence(
    path_or_recording: str | Path | Recording,
    threshold_db: float = -50.0,
    chunk_ms: int = 10,
    *,
    method: str = "auto",
) -> float:
    """Seconds of silence before the first sound (pydub's detect_leading_silence).

    method: "pydub" (needs ffmpeg), "numpy" (soundfile, same rule), or "auto".
    """
    source = path_or_recording
    use_pydub = _choose(method) and not isinstance(source, Recording)
    if use_pydub:
        pydub = _pydub()
        segment = pydub.AudioSegment.from_file(Path(source))
        return pydub.silence.detect_leading_silence(segment, threshold_db, chunk_ms) / 1000.0
    return _leading_ms_numpy(_as_recording(source), threshold_db, chunk_ms) / 1000.0


def _choose(method: str) -> bool:
    """True to use pydub, False for the numpy path."""
    if method not in ("auto", "pydub", "numpy"):
        raise ValueError(f"method must be 'auto', 'pydub' or 'numpy', not {method!r}")
    if method == "pydub" and not has_ffmpeg():
        raise RecordingError(f"pydub needs ffmpeg and ffprobe. {INSTALL_HINT}")
    return method == "pydub" or (method == "auto" and has_ffmpeg())


def trim_leading_silence(
    src: str | Path,
    dst: str | Path,
    threshold_db: float = -50.0,
    keep_ms: int = 0,
    *,
    method: str = "auto",
) -> tuple[Path, float]:
    """Cut the silence before the first sound (keeping `keep_ms` of it); (dst, seconds cut)."""
    src, dst = Path(src), Path(dst)
    kind = _kind(dst)
    if _choose(method):
        pydub = _pydub()
        segment = pydub.AudioSegment.from_file(src)
        cut = max(0, pydub.silence.detect_leading_silence(segment, threshold_db, 10) - keep_ms)
        dst.parent.mkdir(parents=True, exist_ok=True)
        options = {"bitrate": "64k"} if kind == "mp3" else {}
        segment[cut:].export(dst, format=kind, **options)
        return dst, cut / 1000.0
    rec = load(src)
    cut = max(0.0, _leading_ms_numpy(rec, threshold_db, 10) - keep_ms)
    _write(rec.samples[int(cut * rec.sample_rate / 1000.0) :], rec.sample_rate, dst)
    return dst, cut / 1000.0


def silent_spans(
    recording: str | Path | Recording,
    channel: int | None = None,
    min_seconds: float = 0.5,
    threshold_db: float = -50.0,
) -> list[tuple[float, float]]:
    """(start, end) seconds of every stretch quieter than `threshold_db` for `min_seconds`+."""
    rec = _as_recording(recording)
    samples = rec.samples if channel is None else rec.channel(channel)[:, None]
    pieces = list(_chunk_dbfs(samples, rec.sample_rate, 10))
    if not pieces:
        return []
    starts = np.concatenate([p[0] for p in pieces])
    db = np.concatenate([p[1] for p in pieces])
    quiet = np.concatenate(([False], db < threshold_db, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(quiet))
    spans = []
    for begin, end in zip(edges[::2], edges[1::2], strict=True):
        a, b = starts[begin] / 1000.0, min(rec.duration, (starts[end - 1] + 10) / 1000.0)
        if b - a >= min_seconds - 1e-9:
            spans.append((round(float(a), 3), round(float(b), 3)))
    return spans


# --- channels ----------------------------------------------------------------------------------
def split_channels(src: str | Path, out_dir: str | Path) -> list[Path]:
    """One mono file per channel, named NAME_ch0.EXT, NAME_ch1.EXT, ... in `out_dir`."""
    src = Path(src)
    rec = load(src)
    out_dir = Path(out_dir)
    suffix = src.suffix.lower() if src.suffix.lower() in WRITABLE else ".wav"
    return [
        _write(rec.samples[:, [i]], rec.sample_rate, out_dir / f"{src.stem}_ch{i}{suffix}")
        for i in range(rec.channels)
    ]


def keep_channel(src: str | Path, dst: str | Path, channel: int) -> Path:
    """A mono file of one channel: in a split recording, one call leg alone."""
    rec = load(src)
    return _write(
        rec.samples[:, [_check_channel(channel, rec.channels)]], rec.sample_rate, Path(dst)
    )


def drop_channel(src: str | Path, dst: str | Path, channel: int) -> Path:
    """The recording without one channel: remove one call leg from a split recording."""
    rec = load(src)
    _check_channel(channel, rec.channels)
    if rec.channels == 1:
        raise RecordingError(
            "This recording has one channel, so every leg is mixed into it and none can be "
            'removed: record with split: "conversation" to give each leg its own channel.'
        )
    rest = [i for i in range(rec.channels) if i != channel]
    return _write(rec.samples[:, rest], rec.sample_rate, Path(dst))
