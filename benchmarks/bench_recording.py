"""How fast the simulator records a call, end to end through the SDK.

For recorded calls of 60 s, 10 min and 2 h: create the call with the SDK, wait for the record
event on the receiver, download the file with the JWT, decode it. Prints wall time, how many
times faster than real time, and the peak RSS of this process. Targets: 10 min at least 300x
faster than real time; 2 h under 30 s and under 1 GiB.

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

import soundfile  # noqa: E402

from helpers import calls  # noqa: E402
from helpers.client import connect  # noqa: E402

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


def run(lab, seconds: int, fmt: str, folder: Path) -> dict:
    # the talker keeps talking with pauses for the whole call, then hangs up
    rounds = seconds // 10
    calls.set_callee(lab, "447700900077", [{"speak": 6}, {"silence": 4}] * rounds +
                     [{"hangup": True}], answer_after=1)
    ncco = [{"action": "record", "format": fmt}]
    started = time.perf_counter()
    call = calls.place_call(lab, ncco, to="447700900077")
    event = calls.wait_for_recording(lab, call, timeout=600)
    path = calls.download_recording(lab, event, folder)
    frames, rate = decode_frames(path)
    wall = time.perf_counter() - started
    duration = frames / rate
    path.unlink()
    return {"wall": wall, "duration": duration, "ratio": duration / wall,
            "size": event["size"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", default="mp3", help="comma-separated: mp3,wav,ogg")
    parser.add_argument("--lengths", default=",".join(LENGTHS),
                        help="comma-separated from: " + ", ".join(LENGTHS))
    args = parser.parse_args()
    own_home = "RECORDING_LAB_HOME" not in os.environ
    os.environ.setdefault("RECORDING_LAB_HOME", tempfile.mkdtemp(prefix="bench-lab-"))
    lab = connect(mode="simulator", events_file=Path(os.environ["RECORDING_LAB_HOME"]) /
                  "bench-events.jsonl")
    folder = Path(os.environ["RECORDING_LAB_HOME"]) / "downloads"
    print(f"{'format':6} {'call':>7} {'wall s':>8} {'x real time':>12} {'size MB':>8} "
          f"{'peak RSS MiB':>13}")
    for fmt in args.formats.split(","):
        for label in args.lengths.split(","):
            figures = run(lab, LENGTHS[label.strip()], fmt.strip(), folder)
            print(f"{fmt:6} {label:>7} {figures['wall']:8.2f} {figures['ratio']:12.0f} "
                  f"{figures['size'] / 1e6:8.2f} {peak_rss_mib():13.0f}", flush=True)
    lab.close()
    if own_home:  # the simulator's copies of the recordings: hundreds of MB for 2 h calls
        shutil.rmtree(os.environ["RECORDING_LAB_HOME"], ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
