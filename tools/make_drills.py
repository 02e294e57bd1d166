"""Write lesson 11's drills from the case library, so no ticket's NCCO is pasted by hand.

Usage: .venv/bin/python tools/make_drills.py [--check]

Every ticket of `helpers/cases/tickets.json` that the lesson does not walk through becomes an
exercise: its words (`ticket_text`), then either its NCCO as the customer sent it, ready to be
fixed and checked with `check_case_fix` (tickets with a `fix`), or a call to name its mistakes
(`check_answer`). The cells from the first "**Exercise" heading to the navigation cell at the
end of the notebook are replaced; run `tools/run_notebooks.py` on the lesson afterwards to store
their outputs.
With `--check` nothing is written: the exit status says whether the lesson is up to date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.cases import Case, load_cases  # noqa: E402  (after the path is set)

LESSON = ROOT / "notebooks" / "11_clinic_retention_and_diagnoser.ipynb"
#: Tickets the lesson walks through before the drills: not drilled again.
WALKED_THROUGH = ("only-3-seconds", "first-words-missing", "channels-but-mono")
MARKER = "**Exercise "
NAVIGATION = "<!--NAVIGATION-->"  # tools/add_navigation.py's cell: not a drill
NAME_THE_MISTAKES = (
    "Some tickets are not fixed in the NCCO at all: the answer is to trim the file, to send the\n"
    "NCCO as plain JSON, or to look at the call's status. For these, **name the mistakes** the\n"
    "diagnoser finds (their codes, e.g. `\"record-late\"`): run "
    "`find_case(...).diagnose(lab)` and\nread the findings.")
SLOW = {"two-hours-of-silence": " (its test call really records two hours: diagnosing "
                                "the customer's NCCO takes the simulator about 15 s)"}


WIDTH = 99  # ruff's line length for the lessons, less one for a trailing comma


def action_text(action: dict) -> str:
    """One action as JSON, its fields wrapped onto further lines when it is too wide."""
    fields = [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in action.items()]
    lines, line = [], "  {"
    for n, item in enumerate(fields):
        piece = item + ("}" if n == len(fields) - 1 else ",")
        if len(line) > 3 and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = "   " + piece
        else:
            line += ("" if line.endswith("{") else " ") + piece
    return "\n".join(lines + [line])


def ncco_text(case: Case) -> str:
    """The customer's NCCO, an action a line (as pasted when it is not valid JSON)."""
    if isinstance(case.ncco, str):
        return case.ncco.strip("\n")
    return "[\n" + ",\n".join(action_text(action) for action in case.ncco) + "\n]"


def _closing(text: str) -> str:
    """The end of the string; a line no wrap can shorten (one long text) is let through."""
    return '"""  # noqa: E501' if any(len(line) > WIDTH + 1 for line in text.splitlines()) \
        else '"""'


def _load(number: int) -> str:
    """The line that loads exercise `number`'s answer (notebooks/solutions/, written by hand)."""
    return f"# %load solutions/11_exercise_{number}.py\n"


def drill_cells() -> list[nbformat.NotebookNode]:
    """The exercise cells, in the case library's order: fixable tickets, then the others."""
    cases = [c for c in load_cases() if c.id not in WALKED_THROUGH]
    fixable = [c for c in cases if c.fix is not None]
    named = [c for c in cases if c.fix is None]
    cells, number = [], 0
    for case in fixable:
        number += 1
        text = ncco_text(case)
        cells += [
            nbformat.v4.new_markdown_cell(f"{MARKER}{number}** · `{case.id}`"
                                          f"{SLOW.get(case.id, '')}"),
            nbformat.v4.new_code_cell(f'print(ticket_text(find_case("{case.id}")))'),
            nbformat.v4.new_code_cell(f'{_load(number)}fixed = """\n{text}\n{_closing(text)}\n'
                                      f'check_case_fix(lab, "{case.id}", fixed)'),
        ]
    cells.append(nbformat.v4.new_markdown_cell(NAME_THE_MISTAKES))
    for case in named:
        number += 1
        cells += [
            nbformat.v4.new_markdown_cell(f"{MARKER}{number}** · `{case.id}`"),
            nbformat.v4.new_code_cell(f'{_load(number)}print(ticket_text(find_case("{case.id}")))\n'
                                      f'find_case("{case.id}").check_answer([])'),
        ]
    return cells


def _drills(notebook: nbformat.NotebookNode) -> slice:
    """Where the drills are: from the first "**Exercise" heading to the navigation cell that
    tools/add_navigation.py keeps at the end (or to the end)."""
    cells = notebook.cells
    first = next(i for i, cell in enumerate(cells)
                 if cell.cell_type == "markdown" and cell.source.startswith(MARKER))
    end = next((i for i in range(first, len(cells)) if cells[i].cell_type == "markdown"
                and cells[i].source.startswith(NAVIGATION)), len(cells))
    return slice(first, end)


def up_to_date(notebook: nbformat.NotebookNode) -> bool:
    """True when the lesson's drill cells are exactly what the case library generates."""
    current = notebook.cells[_drills(notebook)]
    wanted = drill_cells()
    return [(c.cell_type, c.source) for c in current] == \
        [(c.cell_type, c.source) for c in wanted]


def main(argv: list[str]) -> int:
    notebook = nbformat.read(LESSON, as_version=4)
    if up_to_date(notebook):
        print(f"{LESSON.name}: the drills match the case library.")
        return 0
    if "--check" in argv:
        print(f"{LESSON.name}: the drills differ from the case library; run "
              "tools/make_drills.py, then tools/run_notebooks.py on the lesson.")
        return 1
    notebook.cells[_drills(notebook)] = drill_cells()
    nbformat.write(notebook, LESSON)
    print(f"{LESSON.name}: drills rewritten; now store their outputs with "
          f"tools/run_notebooks.py {LESSON.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
