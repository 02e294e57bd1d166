"""The simulator as its own process (`python -m helpers.simulator`), for the tests that start,
stop or kill one: its ready line, and a way to be sure it is gone afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_simulator(state: Path, port: int = 0) -> tuple[subprocess.Popen, dict]:
    """`python -m helpers.simulator` on `state` and `port`; its ready line."""
    proc = subprocess.Popen([sys.executable, "-m", "helpers.simulator", "--port", str(port),
                             "--state-dir", str(state)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = proc.stdout.readline()
    assert line, "the simulator did not start"
    return proc, json.loads(line)


@contextmanager
def simulator_process(state: Path, port: int = 0) -> Iterator[dict]:
    """A simulator process on `state` for the block; yields its ready line, then stops it."""
    proc, info = start_simulator(state, port)
    try:
        yield info
    finally:
        proc.terminate()
        proc.wait(10)
