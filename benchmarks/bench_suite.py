"""How long `make test` takes, and how much of it is nbval over the lessons.

Runs the two halves of README's test command one after the other, exactly as `make test` does
(simulator mode, the project's pytest options): the tests under `tests/`, then every lesson
under nbval. Prints the wall time of each, their sum and the share that is nbval. The aim
(issue 13): nbval over every lesson under 3 minutes on 2 cores.

Run: `make bench` (after bench_recording.py), or `.venv/bin/python benchmarks/bench_suite.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HALVES = {"tests/ (no notebooks)": ["tests"], "nbval over notebooks/": ["notebooks"]}


def timed(paths: list[str]) -> tuple[float, int, str]:
    """Wall seconds, exit status and pytest's summary line for one half of the suite."""
    env = {**os.environ, "RECORDING_LAB_MODE": "simulator"}
    started = time.perf_counter()
    reply = subprocess.run([sys.executable, "-m", "pytest", "-q", *paths], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    summary = next((line for line in reversed(reply.stdout.splitlines()) if " in " in line),
                   "(no summary)")
    return time.perf_counter() - started, reply.returncode, summary.strip("= ")


def main() -> int:
    print(f"{'part':24} {'wall s':>8}  pytest's summary", flush=True)
    total, worst = 0.0, 0
    for label, paths in HALVES.items():
        wall, status, summary = timed(paths)
        total += wall
        worst = max(worst, status)
        print(f"{label:24} {wall:8.1f}  {summary}", flush=True)
    nbval = wall
    print(f"{'make test, in all':24} {total:8.1f}  nbval is {nbval / total:.0%} of it "
          f"({'under' if nbval < 180 else 'over'} the 3-minute aim)")
    return worst


if __name__ == "__main__":
    sys.exit(main())
