"""Trainees' own copies of the lessons, so the originals in notebooks/ stay clean.

Usage: .venv/bin/python tools/my_lessons.py copy           (what `make lab` runs)
       .venv/bin/python tools/my_lessons.py restore 03     (`make clean-lesson N=03`; N=11b too)

`copy` copies every lesson and answer that my-lessons/ does not have yet and never overwrites
a file there, so a trainee's edits survive every `make lab` while new lessons still arrive.
`restore` puts one lesson back as shipped, and says so.

Each lesson copied or restored is trusted in the trainee's Jupyter notary, as JupyterLab
trusts a notebook it has saved: JupyterLab draws an untrusted notebook's widgets as plain text
(`<Recording playground>`), so without it the widget state stored in the lessons would not
show until the trainee runs them. The lessons are the repository's own, and `make lab` runs
their code anyway.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ORIGINALS = ROOT / "notebooks"
COPIES = ROOT / "my-lessons"
SKIP = {"recordings", ".ipynb_checkpoints", "__pycache__"}  # made by running, not shipped


def shipped(originals: Path = ORIGINALS) -> list[Path]:
    """Every file of the lessons, relative to the lessons folder."""
    return sorted(p.relative_to(originals) for p in originals.rglob("*")
                  if p.is_file() and not SKIP & set(p.relative_to(originals).parts))


def notary(data_dir: str | Path | None = None) -> Any:
    """The Jupyter notary of this user (or of `data_dir`): JupyterLab checks trust with it.

    Its folder is made first: a notary that finds no folder keeps its signatures in memory.
    """
    from jupyter_core.paths import jupyter_data_dir
    from nbformat.sign import NotebookNotary

    folder = Path(data_dir or jupyter_data_dir())
    folder.mkdir(parents=True, exist_ok=True)
    return NotebookNotary(data_dir=str(folder))


def trust(path: Path, by: Any) -> None:
    """Mark the lesson at `path` trusted by the notary `by`; the file itself is not changed."""
    import nbformat

    by.sign(nbformat.read(path, as_version=nbformat.NO_CONVERT))


def copy(originals: Path = ORIGINALS, copies: Path = COPIES, by: Any = None) -> list[Path]:
    """Copy what the trainee's folder lacks; return what was copied. With a notary `by`, the
    lessons copied are trusted by it."""
    added = []
    for name in shipped(originals):
        target = copies / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(originals / name, target)
            if by is not None and target.suffix == ".ipynb":
                trust(target, by)
            added.append(name)
    return added


def restore(number: str, originals: Path = ORIGINALS, copies: Path = COPIES,
            by: Any = None) -> Path:
    """Replace the trainee's copy of lesson `number` (e.g. '03', '3' or '11b', a lesson's second
    part) with the original (trusted by the notary `by`, when one is given)."""
    found = re.fullmatch(r"(\d{1,2})([a-z]?)", number.strip().lower())
    matches = sorted(originals.glob(f"{int(found[1]):02d}{found[2]}_*.ipynb")) if found else []
    if len(matches) != 1:
        choices = ", ".join(p.name.split("_")[0]
                            for p in sorted(originals.glob("[0-9][0-9]*_*.ipynb")))
        raise SystemExit(f"No lesson {number!r}: give its number, one of {choices}; "
                         "for example make clean-lesson N=03")
    copies.mkdir(exist_ok=True)
    shutil.copy2(matches[0], copies / matches[0].name)
    if by is not None:
        trust(copies / matches[0].name, by)
    return copies / matches[0].name


def main(argv: list[str]) -> int:
    if argv[:1] == ["copy"] and len(argv) == 1:
        added = copy(by=notary())
        if added:
            print(f"Copied {len(added)} file(s) into {COPIES.name}/; your edits there are kept.")
        return 0
    if argv[:1] == ["restore"] and len(argv) == 2:
        path = restore(argv[1], by=notary())
        print(f"{COPIES.name}/{path.name} is back as shipped (reload it in JupyterLab: "
              "File › Reload Notebook from Disk).")
        return 0
    print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
