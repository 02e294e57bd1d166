"""`make lab` works on trainees' copies; `make clean-lesson N=..` restores one from the original."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("my_lessons", ROOT / "tools/my_lessons.py")
my_lessons = importlib.util.module_from_spec(spec)
spec.loader.exec_module(my_lessons)


@pytest.fixture
def originals(tmp_path):
    folder = tmp_path / "notebooks"
    (folder / "solutions").mkdir(parents=True)
    (folder / "recordings").mkdir()
    (folder / "00_start_here.ipynb").write_text("original 00")
    (folder / "03_blocking.ipynb").write_text("original 03")
    (folder / "solutions" / "03_exercise_1.py").write_text("answer")
    (folder / "recordings" / "call.mp3").write_text("made by a run")
    return folder


def test_copy_never_overwrites_a_trainees_work(originals, tmp_path):
    copies = tmp_path / "my-lessons"
    assert len(my_lessons.copy(originals, copies)) == 3  # lessons and answers, no recordings
    (copies / "03_blocking.ipynb").write_text("my edits")
    (originals / "04_new.ipynb").write_text("a new lesson")
    assert my_lessons.copy(originals, copies) == [Path("04_new.ipynb")]
    assert (copies / "03_blocking.ipynb").read_text() == "my edits"
    assert (copies / "solutions" / "03_exercise_1.py").read_text() == "answer"
    assert not (copies / "recordings").exists()


def test_restore_puts_one_lesson_back(originals, tmp_path):
    copies = tmp_path / "my-lessons"
    my_lessons.copy(originals, copies)
    (copies / "00_start_here.ipynb").write_text("my edits")
    (copies / "03_blocking.ipynb").write_text("my edits")
    my_lessons.restore("3", originals, copies)
    assert (copies / "03_blocking.ipynb").read_text() == "original 03"
    assert (copies / "00_start_here.ipynb").read_text() == "my edits"
    with pytest.raises(SystemExit, match="make clean-lesson N=03"):
        my_lessons.restore("99", originals, copies)


def test_restore_tells_a_lesson_from_its_second_part(originals, tmp_path):
    """make clean-lesson N=11 and N=11b restore one part each (lesson 11 has two)."""
    (originals / "11_first_part.ipynb").write_text("original 11")
    (originals / "11b_second_part.ipynb").write_text("original 11b")
    copies = tmp_path / "my-lessons"
    my_lessons.copy(originals, copies)
    for name in ("11_first_part.ipynb", "11b_second_part.ipynb"):
        (copies / name).write_text("my edits")
    assert my_lessons.restore("11B", originals, copies).name == "11b_second_part.ipynb"
    assert (copies / "11b_second_part.ipynb").read_text() == "original 11b"
    assert (copies / "11_first_part.ipynb").read_text() == "my edits"
    my_lessons.restore("11", originals, copies)
    assert (copies / "11_first_part.ipynb").read_text() == "original 11"
    with pytest.raises(SystemExit, match="11b"):
        my_lessons.restore("11c", originals, copies)


def test_the_class_hub_copies_the_answers_with_the_lessons(tmp_path):
    """Exercises `%load solutions/NN_exercise_M.py`: the hub's copy needs the solutions too."""
    import os
    import subprocess

    lessons = tmp_path / "notebooks"
    (lessons / "solutions").mkdir(parents=True)
    (lessons / "11b_part.ipynb").write_text("lesson")
    (lessons / "solutions" / "11b_exercise_1.py").write_text("answer")
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "RECORDING_LAB_LESSONS": str(lessons)}
    env.pop("RECORDING_LAB_HOME", None)
    subprocess.run([str(ROOT / "class" / "start-trainee"), "true"], env=env, check=True)
    assert (home / "recording-lab" / "11b_part.ipynb").read_text() == "lesson"
    answer = home / "recording-lab" / "solutions" / "11b_exercise_1.py"
    assert answer.read_text() == "answer"
    answer.write_text("my notes")
    subprocess.run([str(ROOT / "class" / "start-trainee"), "true"], env=env, check=True)
    assert answer.read_text() == "my notes"  # never overwritten


def test_the_lab_opens_on_lesson_00_without_the_news_pop_up():
    config = ROOT / "jupyter-config"
    server = json.loads((config / "jupyter_server_config.json").read_text())
    assert server["LabApp"]["default_url"] == "/lab/tree/00_start_here.ipynb"
    assert (ROOT / "notebooks" / "00_start_here.ipynb").exists()
    page = json.loads((config / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"]["@jupyterlab/apputils-extension:announcements"] is True
    assert "jupyter-config" in (ROOT / "Makefile").read_text()
    assert "my-lessons/" in (ROOT / ".gitignore").read_text().splitlines()


def test_copies_keep_the_stored_widget_state_and_are_trusted(tmp_path):
    """JupyterLab draws an untrusted notebook's widgets as text: the copies `make lab` makes
    and `make clean-lesson` restores are trusted in the trainee's notary, unchanged."""
    import nbformat

    originals = tmp_path / "notebooks"
    originals.mkdir()
    lesson = ROOT / "notebooks" / "07_playground.ipynb"
    (originals / lesson.name).write_bytes(lesson.read_bytes())
    notary = my_lessons.notary(tmp_path / "jupyter-data")
    copies = tmp_path / "my-lessons"
    my_lessons.copy(originals, copies, by=notary)
    copied = copies / lesson.name
    assert copied.read_bytes() == lesson.read_bytes()
    notebook = nbformat.read(copied, as_version=4)
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(m["model_name"] == "ButtonModel" for m in state.values())
    assert my_lessons.notary(tmp_path / "jupyter-data").check_signature(notebook)  # kept
    other = my_lessons.notary(tmp_path / "someone-else")
    assert not other.check_signature(notebook)  # the check can fail: trust is per notary
    copied.write_text(copied.read_text().replace("Playground", "My playground"))
    my_lessons.restore("7", originals, copies, by=notary)
    assert notary.check_signature(nbformat.read(copied, as_version=4))
