"""Run lessons top to bottom and store their outputs, as nbval will compare them.

Usage: .venv/bin/python tools/run_notebooks.py [notebooks/03_*.ipynb ...]
(default: every notebook). Runs in a temporary RECORDING_LAB_HOME, in simulator mode, with the
kernel's working directory at notebooks/, exactly as `make test` does.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def run(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=300, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(notebook, path)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    home = tempfile.mkdtemp(prefix="recording-lab-notebooks-")
    os.environ["RECORDING_LAB_HOME"] = home
    os.environ["RECORDING_LAB_MODE"] = "simulator"
    paths = [Path(p).resolve() for p in argv] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    try:
        for path in paths:
            print(f"{path.name}: {run(path):.1f} s", flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
