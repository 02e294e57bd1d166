"""Lessons link to each other through cells that tools/add_navigation.py writes, never by hand."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("add_navigation", ROOT / "tools/add_navigation.py")
add_navigation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(add_navigation)
LESSONS = add_navigation.lessons()


@pytest.mark.parametrize("path", LESSONS, ids=add_navigation.number)
def test_navigation_cells_are_the_tools_output(path):
    cells = nbformat.read(path, as_version=4).cells
    navs = [i for i, c in enumerate(cells) if c.source.startswith(add_navigation.NAV_MARK)]
    assert navs == [1, len(cells) - 1], "run tools/add_navigation.py"
    expected = add_navigation.navigation(path)
    assert [cells[i].source for i in navs] == [expected, expected]


def test_first_and_last_lessons_link_one_way():
    first, last = add_navigation.navigation(LESSONS[0]), add_navigation.navigation(LESSONS[-1])
    assert "←" not in first and first.endswith("→")
    assert first.count("](") == last.count("](") == 2 and not last.endswith("→")


def test_the_index_link_points_at_a_real_heading():
    """The Index link opens lesson 00 at "## The path", whose list is the tool's output."""
    cells = nbformat.read(LESSONS[0], as_version=4).cells
    headings = [line for c in cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("#")]
    anchor = add_navigation.INDEX.split("#")[1]
    assert "## The path" in headings and anchor == "The-path"  # JupyterLab: spaces become -
    assert add_navigation.the_path() in [c.source for c in cells]
    assert all(f"]({p.name})" in add_navigation.the_path() for p in LESSONS)


@pytest.mark.parametrize("path", LESSONS, ids=add_navigation.number)
def test_no_markdown_cell_is_an_indented_code_block(path):
    """A heading indented by four spaces renders as a grey code block (lesson 00's Summary did)."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"^ {4,}#", cell.source, re.MULTILINE), cell.source[:80]


def test_lesson_00_says_how_to_run_a_cell():
    text = "\n".join(c.source for c in nbformat.read(LESSONS[0], as_version=4).cells)
    for words in ("Shift+Enter", "▶", "Run All Cells", "Restart Kernel", "make clean-lesson"):
        assert words in text


RECALL_LESSONS = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11",
                  "11b", "12", "13", "14")


@pytest.mark.parametrize("number", RECALL_LESSONS)
def test_lessons_end_with_a_recall_whose_answers_are_a_file_away(number):
    """Questions only in the lesson; the answers in solutions/NN_recall.md, linked from it.
    The recall comes just before the exercises, or last in a lesson without any. Lesson 06
    keeps its recall after its exercises (its cells above are shared work)."""
    [path] = [p for p in LESSONS if add_navigation.number(p) == number]
    cells = nbformat.read(path, as_version=4).cells
    [at] = [i for i, c in enumerate(cells) if c.source.startswith("## Recall")]
    exercises = [i for i, c in enumerate(cells) if "## Exercises" in c.source]
    if number == "06":
        assert exercises and exercises[0] < at
    elif exercises:
        assert exercises == [at + 1]
    else:
        assert at == len(cells) - 2  # the last cell before the navigation links
    questions = re.findall(r"^\d+\. ", cells[at].source, re.MULTILINE)
    assert 3 <= len(questions) <= 5
    answers = ROOT / "notebooks" / "solutions" / f"{number}_recall.md"
    assert f"(solutions/{answers.name})" in cells[at].source
    assert len(re.findall(r"^\d+\. ", answers.read_text(), re.MULTILINE)) == len(questions)


def test_a_second_part_is_listed_under_its_lesson_and_linked_both_ways():
    """11b is lesson 11's second part: the path lists it under 11, and 11 and 11b link to
    each other as previous and next."""
    numbers = [add_navigation.number(p) for p in LESSONS]
    at = numbers.index("11b")
    assert numbers[at - 1] == "11" and numbers[at + 1] == "12"
    assert "    - 11b. [" in add_navigation.the_path()
    assert f"]({LESSONS[at].name}) →" in add_navigation.navigation(LESSONS[at - 1])
    assert "← [11 · " in add_navigation.navigation(LESSONS[at])


@pytest.mark.parametrize("path", LESSONS, ids=add_navigation.number)
def test_no_lesson_is_longer_than_60_cells(path):
    assert len(nbformat.read(path, as_version=4).cells) <= 60, "split it into parts (11, 11b)"


CLINICS = ("09", "10", "11", "11b")  # lesson 08 keeps its own list


@pytest.mark.parametrize("number", CLINICS)
def test_each_clinic_ends_with_the_docs_to_send_the_customer(number):
    """The list is rendered from helpers/sources.py, one place for every lesson."""
    [path] = [p for p in LESSONS if add_navigation.number(p) == number]
    cells = nbformat.read(path, as_version=4).cells
    assert cells[-3].source.startswith("## Docs and articles to send the customer")
    assert cells[-2].source == f'docs_to_send("{number}")'
    shown = "".join(o.get("data", {}).get("text/markdown", "") for o in cells[-2].outputs)
    from helpers.sources import LESSON_SOURCES, SOURCES
    for key in LESSON_SOURCES[number]:
        assert f"]({SOURCES[key].url})" in shown, key


def test_lesson_00_has_a_glossary_the_navigation_tool_leaves_alone():
    cells = nbformat.read(LESSONS[0], as_version=4).cells
    [glossary] = [c.source for c in cells if c.source.startswith("## Glossary")]
    for term in ("**Leg**", "**First leg**", "**Conversation**", "`event_url` vs `eventUrl`",
                 "**Answer URL**", "**Blocking**", "**NCCO**", "**Record event**",
                 'Why "the caller"?'):
        assert term in glossary, term
    assert glossary in [c.source for c in add_navigation.with_navigation(LESSONS[0]).cells]


def readme_lessons() -> list[str]:
    """The first column of the README's lesson table ("## The lessons"), in order."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## The lessons\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [re.match(r"\| `([^`]+)`", row).group(1) for row in rows]


def test_the_readme_lesson_table_matches_the_notebooks():
    """One row per lesson, in order, named as its file; and each lesson's title starts with
    its number, as the table and the index count them."""
    assert readme_lessons() == [p.stem for p in LESSONS]
    for path in LESSONS:
        title = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0]
        assert title.startswith(f"# {add_navigation.number(path)} · "), (path.name, title)
