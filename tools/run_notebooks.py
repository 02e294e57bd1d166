"""Run lessons top to bottom and store their outputs, as nbval will compare them.

Usage: .venv/bin/python tools/run_notebooks.py [notebooks/03_*.ipynb ...]
(default: every notebook). Runs in a temporary RECORDING_LAB_HOME, in simulator mode, with the
kernel's working directory at notebooks/, exactly as `make test` does.

The widgets' state is stored in the notebook's metadata (`widgets`), so a lesson opened before
it is run shows its builder and forms instead of `<Recording playground>` text. Like
ipywidgets' own embedding (`drop_defaults=True`), values equal to a widget's defaults are left
out: the front end fills them in, and the lessons stay small. nbval compares cell outputs only,
never this metadata.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from ipywidgets.widgets.widget import _registry as widget_registry
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_KEY = ("_model_module", "_model_module_version", "_model_name",
              "_view_module", "_view_module_version", "_view_name")


def without_defaults(model: dict) -> dict:
    """One model's stored state minus the values its widget class has by default.

    A model whose class ipywidgets does not know keeps its whole state.
    """
    state = model.get("state", {})
    try:
        widget_class = widget_registry.get(*(state[key] for key in WIDGET_KEY))
    except KeyError:
        return model
    traits = widget_class.class_traits(sync=True)
    kept = {key: value for key, value in state.items()
            if key not in traits or traits[key].default_value != value}
    return {**model, "state": kept}


def compact_widget_state(notebook) -> None:
    """Drop default values from the widget state nbclient stored in the notebook."""
    stored = notebook.metadata.get("widgets", {}).get(WIDGET_STATE)
    if stored:
        stored["state"] = {model_id: without_defaults(model)
                           for model_id, model in stored["state"].items()}


def run(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=300, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    compact_widget_state(notebook)
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
