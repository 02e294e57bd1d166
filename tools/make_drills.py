"""Write lesson 11's and 11b's drills from the case library, so no ticket is pasted by hand.

Usage: .venv/bin/python tools/make_drills.py [--check]

Every ticket of `helpers/cases/tickets.json` that lesson 11 does not walk through becomes an
exercise, in lesson 11 (the download tickets, `PART_ONE`) or in 11b (all the others, so a ticket
appended to the library lands there): the customer's words, then either their NCCO as they sent
it, ready to be fixed and checked with `check_case_fix` (tickets with a `fix`), or a reply to
write, checked with `check_reply` for the facts the ticket's `reply_facts` name. The cells from
the first "**Exercise" heading to the "## Docs and articles" section (or the navigation cell)
are replaced; run `tools/run_notebooks.py` on the lesson afterwards to store their outputs.
With `--check` nothing is written: the exit status says whether both lessons are up to date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.cases import Case, load_cases  # noqa: E402  (after the path is set)
from helpers.exercises import ticket_text  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
PART_ONE = NOTEBOOKS / "11_clinic_retention_downloads_and_diagnoser.ipynb"
PART_TWO = NOTEBOOKS / "11b_clinic_the_case_library.ipynb"
#: Tickets lesson 11 walks through before the drills: not drilled again.
WALKED_THROUGH = ("only-3-seconds", "first-words-missing", "channels-but-mono")
#: Tickets drilled in lesson 11 (its downloads section); every other ticket is drilled in 11b.
IN_PART_ONE = ("download-401-404", "empty-recording-url")
MARKER = "**Exercise "
DOCS = "## Docs and articles"  # each clinic's closing list: not a drill
NAVIGATION = "<!--NAVIGATION-->"  # tools/add_navigation.py's cell: not a drill
WRITE_THE_REPLY = (
    "Some tickets are not fixed in the NCCO at all: the answer is to trim the file, to send the\n"
    "NCCO as plain JSON, or to look at the call's status. For these, **write the reply**:\n"
    "diagnose the ticket (`find_case(...).diagnose(lab)`, or the widget above) for the\n"
    "evidence, then write to the customer. The check looks for the facts the reply must state;\n"
    "it names a missing fact, never the words.")
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


def _load(lesson: Path, number: int) -> str:
    """The line that loads exercise `number`'s answer (notebooks/solutions/, written by hand)."""
    return f"# %load solutions/{lesson.name.split('_')[0]}_exercise_{number}.py\n"


def tickets(lesson: Path) -> list[Case]:
    """The tickets drilled in `lesson`, in the case library's order."""
    cases = [c for c in load_cases() if c.id not in WALKED_THROUGH]
    if lesson == PART_ONE:
        return [c for c in cases if c.id in IN_PART_ONE]
    return [c for c in cases if c.id not in IN_PART_ONE]


def _heading(number: int, case: Case) -> str:
    """The drill's heading and the customer's words, quoted as they wrote them."""
    words = case.customer_words.replace("*", "\\*")
    answered_by = ticket_text(case).splitlines()[-1]
    return (f"{MARKER}{number}** · `{case.id}`: {case.title}{SLOW.get(case.id, '')}\n\n"
            f"> {words}\n\n{answered_by}")


def drill_cells(lesson: Path) -> list[nbformat.NotebookNode]:
    """The exercise cells of `lesson`: fixable tickets first, then the replies to write."""
    cases = tickets(lesson)
    fixable = [c for c in cases if c.fix is not None]
    replies = [c for c in cases if c.fix is None]
    cells, number = [], 0
    for case in fixable:
        number += 1
        text = ncco_text(case)
        cells += [
            nbformat.v4.new_markdown_cell(_heading(number, case) + " Fix the NCCO below."),
            nbformat.v4.new_code_cell(f'{_load(lesson, number)}fixed = """\n{text}\n'
                                      f'{_closing(text)}\n'
                                      f'check_case_fix(lab, "{case.id}", fixed)'),
        ]
    if fixable and replies:
        cells.append(nbformat.v4.new_markdown_cell(WRITE_THE_REPLY))
    for case in replies:
        number += 1
        facts = "; ".join(case.reply_facts)
        cells += [
            nbformat.v4.new_markdown_cell(_heading(number, case) + "\n\n**Write the reply.** "
                                          f"The check looks for: {facts}."),
            nbformat.v4.new_code_cell(f'{_load(lesson, number)}reply = """\nHello,\n\n...\n"""\n'
                                      f'check_reply(reply, must_state=find_case("{case.id}")'
                                      '.reply_facts)'),
        ]
    return cells


def _drills(notebook: nbformat.NotebookNode) -> slice:
    """Where the drills are: from the first "**Exercise" heading to the "## Docs and articles"
    section, or the navigation cell that tools/add_navigation.py keeps at the end."""
    cells = notebook.cells
    first = next(i for i, cell in enumerate(cells)
                 if cell.cell_type == "markdown" and cell.source.startswith(MARKER))
    end = next((i for i in range(first, len(cells)) if cells[i].cell_type == "markdown"
                and cells[i].source.startswith((DOCS, NAVIGATION))), len(cells))
    return slice(first, end)


def up_to_date(lesson: Path, notebook: nbformat.NotebookNode) -> bool:
    """True when the lesson's drill cells are exactly what the case library generates."""
    current = notebook.cells[_drills(notebook)]
    wanted = drill_cells(lesson)
    return [(c.cell_type, c.source) for c in current] == \
        [(c.cell_type, c.source) for c in wanted]


def main(argv: list[str]) -> int:
    stale = 0
    for lesson in (PART_ONE, PART_TWO):
        notebook = nbformat.read(lesson, as_version=4)
        if up_to_date(lesson, notebook):
            print(f"{lesson.name}: the drills match the case library.")
            continue
        stale += 1
        if "--check" in argv:
            print(f"{lesson.name}: the drills differ from the case library; run "
                  "tools/make_drills.py, then tools/run_notebooks.py on the lesson.")
            continue
        notebook.cells[_drills(notebook)] = drill_cells(lesson)
        nbformat.write(notebook, lesson)
        print(f"{lesson.name}: drills rewritten; now store their outputs with "
              f"tools/run_notebooks.py {lesson.relative_to(ROOT)}")
    return 1 if stale and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
