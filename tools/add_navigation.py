"""Write every lesson's navigation links (previous / index / next) and lesson 00's path.

Usage: .venv/bin/python tools/add_navigation.py [--check]

Links are generated from the lessons' own `# NN · Title` headings, never typed by hand, so a
renamed or added lesson cannot leave a stale link behind (PythonDataScienceHandbook's habit).
Each lesson gets a navigation cell under its header and one at its end; lesson 00's list
under "## The path" is the index every lesson links to. `--check` changes nothing and exits 1
when a notebook differs from what this tool would write (the tests run the same comparison).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NAV_MARK = "<!--NAVIGATION-->"
PATH_MARK = "<!--THE-PATH-->"
INDEX = "00_start_here.ipynb#The-path"  # JupyterLab's anchor for the heading "## The path"
#: A lesson's first heading: its number ("03", or "11b" for a second part) and its title.
HEADING = re.compile(r"^# (\d\d[a-z]?) · (.+)$", re.MULTILINE)
#: Lesson files: "03_name.ipynb", and "11b_name.ipynb" for a lesson's second part.
LESSON_GLOB = "[0-9][0-9]*_*.ipynb"


def lessons(folder: Path = NOTEBOOKS) -> list[Path]:
    return sorted(p for p in folder.glob(LESSON_GLOB) if re.fullmatch(r"\d\d[a-z]?", number(p)))


def number(path: Path) -> str:
    """'03' for 03_name.ipynb, '11b' for 11b_name.ipynb."""
    return path.name.split("_", 1)[0]


def title(path: Path) -> str:
    """'03 · Blocking recordings: ...' from the lesson's first heading."""
    first = nbformat.read(path, as_version=4).cells[0].source
    match = HEADING.search(first)
    if not match:
        raise ValueError(f"{path.name}: the first cell must start with '# NN · Title'")
    return f"{match.group(1)} · {match.group(2).strip()}"


def navigation(path: Path, folder: Path = NOTEBOOKS) -> str:
    """The navigation cell of one lesson."""
    paths = lessons(folder)
    at = [p.name for p in paths].index(path.name)
    links = []
    if at > 0:
        links.append(f"← [{title(paths[at - 1])}]({paths[at - 1].name})")
    links.append(f"[Index]({INDEX})")
    if at + 1 < len(paths):
        links.append(f"[{title(paths[at + 1])}]({paths[at + 1].name}) →")
    return NAV_MARK + "\n" + " · ".join(links)


def the_path(folder: Path = NOTEBOOKS) -> str:
    """Lesson 00's index: every lesson in order, a link each; a second part ("11b") is listed
    under its lesson."""
    items = [f"{int(number(p))}. [{title(p).split(' · ', 1)[1]}]({p.name})"
             if number(p).isdigit() else
             f"    - {number(p)}. [{title(p).split(' · ', 1)[1]}]({p.name})"
             for p in lessons(folder)]
    return PATH_MARK + "\n" + "\n".join(items)


def _cell(source: str, cell_id: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.id = cell_id
    return cell


def with_navigation(path: Path, folder: Path = NOTEBOOKS) -> nbformat.NotebookNode:
    """The notebook at `path` with its navigation (and, for 00, its path) regenerated."""
    notebook = nbformat.read(path, as_version=4)
    nav = navigation(path, folder)
    prefix = number(path)
    cells = [c for c in notebook.cells
             if not (c.cell_type == "markdown" and c.source.startswith(NAV_MARK))]
    cells.insert(1, _cell(nav, f"{prefix}-nav-top"))
    cells.append(_cell(nav, f"{prefix}-nav-bottom"))
    for cell in cells:
        if cell.cell_type == "markdown" and cell.source.startswith(PATH_MARK):
            cell.source = the_path(folder)
    notebook.cells = cells
    return notebook


def sources(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path in lessons():
        notebook = with_navigation(path)
        if sources(notebook) != sources(nbformat.read(path, as_version=4)):
            stale.append(path.name)
            if not check:
                nbformat.write(notebook, path)
    verb = "differ from the tool's output" if check else "rewritten"
    print(f"{len(stale)} notebook(s) {verb}" + (": " + ", ".join(stale) if stale else ""))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
