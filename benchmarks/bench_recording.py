"""How fast the simulator records a call, end to end through the SDK, beside the encoder's limit.

For recorded calls of 60 s, 10 min and 2 h: create the call with the SDK, wait for the record
event on the receiver, download the file with the JWT, decode it. The callee speaks either
continuously (`--speech continuous`, the hard case) or in 6 s turns with 4 s pauses. Prints
wall time, CPU time (all threads of this process, which runs the simulator: on a busy
machine the steadier figure), how many times faster than real time, and the peak RSS of this
process (ru_maxrss: the most it has held so far, simulator included); beside each
row, the same length of the same speech put through the encoder alone (rendered first, only
the encoding timed): the limit the simulator cannot beat. For MP3 that is the simulator's own
encoder (libmp3lame in parallel blocks, helpers/simulator/mp3.py) and, for comparison up to
10 min (it is slow), the libsndfile encoder the simulator used before (one stream).
`--mp3-encoder libsndfile` makes the simulator itself take the old path (as where libmp3lame
is missing), for before/after figures on the same machine. Targets (issue 13): 10 min of
continuous speech at least 300x faster than real time (aim 1000x); 2 h under 20 s and 1 GiB.

Run: `make bench` (or `.venv/bin/python benchmarks/bench_recording.py [--formats mp3,wav]`).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import soundfile  # noqa: E402

from helpers import assumptions, calls  # noqa: E402
from helpers.client import connect  # noqa: E402
from helpers.simulator import audio, mp3  # noqa: E402

LENGTHS = {"60 s": 60, "10 min": 600, "2 h": 7200}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def decode_frames(path: Path) -> tuple[int, int]:
    """Decode the whole file block by block, as a player would; frames and sample rate."""
    frames = 0
    with soundfile.SoundFile(path) as audio:
        for block in audio.blocks(blocksize=1 << 16):
            frames += len(block)
        return frames, audio.samplerate


def script(seconds: int, speech: str) -> list[dict]:
    """The callee: continuous speech for the whole call, or 6 s turns with 4 s pauses."""
    if speech == "continuous":
        return [{"speak": seconds}, {"hangup": True}]
    return [{"speak": 6}, {"silence": 4}] * (seconds // 10) + [{"hangup": True}]


def encoder_limit(seconds: int, fmt: str, engine: str) -> float:
    """Seconds the encoder alone takes for `seconds` of speech: one minute of the same voice is
    rendered beforehand (in 30 s blocks, as the simulator does) and fed to it again and again,
    so rendering costs neither time nor memory here. `engine`: "lame" (the simulator's
    parallel MP3 encoder) or "libsndfile" (one stream through soundfile)."""
    rate = assumptions.SAMPLE_RATE
    chunk = min(seconds, 60)
    voice = audio.Sound(0, "speech", 0.0, float(chunk), seed=7)
    samples = np.concatenate([audio.render_block([voice], float(t), min(30, chunk - t) * rate,
                                                 1, lambda source: 0)
                              for t in range(0, chunk, 30)])
    with tempfile.TemporaryDirectory() as folder:
        if engine == "lame":
            def render(first: int, n: int) -> np.ndarray:
                return samples[np.arange(first, first + n) % len(samples)]

            started = time.perf_counter()
            with open(Path(folder) / "limit.mp3", "wb") as out:
                mp3.encode_blocks(render, seconds * rate, 1, out, rate,
                                  assumptions.MP3_BITRATE_KBPS,
                                  block_frames=round(30 * rate / mp3.FRAME_SAMPLES))
            return time.perf_counter() - started
        container, subtype, options = audio.FORMATS[fmt]
        started = time.perf_counter()
        with soundfile.SoundFile(Path(folder) / f"limit.{fmt}", "w", samplerate=rate,
                                 channels=1, format=container, subtype=subtype,
                                 **options) as out:
            left, block = seconds * rate, 30 * rate
            while left > 0:
                take = min(left, len(samples))
                for offset in range(0, take, block):
                    out.write(samples[offset:min(offset + block, take)])
                left -= take
        return time.perf_counter() - started


def run(lab, seconds: int, fmt: str, folder: Path, speech: str) -> dict:
    calls.set_callee(lab, "447700900077", script(seconds, speech), answer_after=1)
    ncco = [{"action": "record", "format": fmt}]
    cpu = time.process_time()
    started = time.perf_counter()
    call = calls.place_call(lab, ncco, to="447700900077")
    event = calls.wait_for_recording(lab, call, timeout=600)
    path = calls.download_recording(lab, event, folder)
    frames, rate = decode_frames(path)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    duration = frames / rate
    path.unlink()
    fast = fmt == "mp3" and mp3.available()
    return {"wall": wall, "cpu": cpu, "duration": duration, "ratio": duration / wall,
            "size": event["size"], "rate": rate, "kbps": event["size"] * 8 / duration / 1000,
            "limit": duration / encoder_limit(seconds, fmt, "lame") if fast else None,
            "libsndfile": None if fast and seconds > 600 else
            duration / encoder_limit(seconds, fmt, "libsndfile")}


def _x(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", default="mp3", help="comma-separated: mp3,wav,ogg")
    parser.add_argument("--lengths", default=",".join(LENGTHS),
                        help="comma-separated from: " + ", ".join(LENGTHS))
    parser.add_argument("--speech", default="continuous,pauses",
                        help="comma-separated: continuous, pauses")
    parser.add_argument("--mp3-encoder", choices=("lame", "libsndfile"), default="lame",
                        help="the simulator's MP3 path: libmp3lame in parallel blocks (when "
                        "installed) or the old libsndfile stream")
    args = parser.parse_args()
    if args.mp3_encoder == "libsndfile":
        mp3._library["lib"] = None  # as on a machine without libmp3lame
    own_home = "RECORDING_LAB_HOME" not in os.environ
    os.environ.setdefault("RECORDING_LAB_HOME", tempfile.mkdtemp(prefix="bench-lab-"))
    lab = connect(mode="simulator", events_file=Path(os.environ["RECORDING_LAB_HOME"]) /
                  "bench-events.jsonl")
    folder = Path(os.environ["RECORDING_LAB_HOME"]) / "downloads"
    engine = "libmp3lame, parallel blocks" if mp3.available() else "libsndfile, one stream"
    print(f"simulator MP3 encoder: {engine}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print(f"{'format':6} {'speech':10} {'call':>7} {'Hz':>6} {'kbit/s':>7} {'wall s':>8} "
          f"{'CPU s':>6} {'x real time':>12} {'encoder alone x':>16} {'libsndfile x':>13} "
          f"{'size MB':>8} {'peak RSS MiB':>13}")
    for fmt in args.formats.split(","):
        for speech in args.speech.split(","):
            for label in args.lengths.split(","):
                figures = run(lab, LENGTHS[label.strip()], fmt.strip(), folder, speech.strip())
                print(f"{fmt:6} {speech:10} {label:>7} {figures['rate']:6d} "
                      f"{figures['kbps']:7.1f} {figures['wall']:8.2f} {figures['cpu']:6.1f} "
                      f"{figures['ratio']:12.0f} "
                      f"{_x(figures['limit']):>16} {_x(figures['libsndfile']):>13} "
                      f"{figures['size'] / 1e6:8.2f} "
                      f"{peak_rss_mib():13.0f}", flush=True)
    lab.close()
    if own_home:  # the simulator's copies of the recordings: hundreds of MB for 2 h calls
        shutil.rmtree(os.environ["RECORDING_LAB_HOME"], ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
