"""Every exercise's answer is a small file in notebooks/solutions/, one `%load` away, and it
passes the exercise's own self-check."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

import helpers
from helpers.calls import set_callee

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "notebooks" / "solutions"
LOAD = re.compile(r"^# %load (solutions/\S+\.py)$", re.MULTILINE)
PAUSER = "447700900102"  # lesson 10 scripts this caller before its exercises
PAUSER_SCRIPT = [{"silence": 2.5}, {"speak": 3}, {"silence": 4}, {"speak": 5},
                 {"silence": 2}, {"hangup": True}]
CUSTOMER = "447700900081"  # lesson 08's customer: silent 9.2 s, then talks to the agent
CUSTOMER_SCRIPT = [{"silence": 9.2}, {"speak": 2.5}, {"silence": 6.5}, {"speak": 2}]
#: Answers that work on recordings earlier cells of their lesson made (`split_wav`, `three`):
#: nbval runs those lessons; here they are only compiled.
NEEDS_LESSON_RECORDINGS = {"08_exercise_2", "09_exercise_2"}
#: What earlier cells of the answer's lesson made, made here the same way.
PRELUDE = {
    "00_exercise_1": "first_call = run_call(lab, ncco, to=TALKER)",
    "00_exercise_2": "",
}


def loads() -> dict[str, str]:
    """solutions/NN_exercise_M.py -> the notebook whose exercise cell loads it."""
    found = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for name in LOAD.findall(cell.source) if cell.cell_type == "code" else ():
                assert name not in found, f"{name} is loaded twice"
                found[name] = path.name
    return found


def test_every_load_line_names_an_answer_and_every_answer_is_loaded():
    named = loads()
    files = {f"solutions/{p.name}" for p in SOLUTIONS.glob("*.py")}
    assert set(named) == files
    for name, notebook in named.items():
        # NN_ (or 11b_) matches its lesson
        assert Path(name).name.split("_")[0] == notebook.split("_")[0], (name, notebook)


def split_recording(path: Path) -> Path:
    """Lesson 06's `path`: a two-channel wav, a different tone on each channel (8 kHz, 4 s)."""
    import numpy as np
    import soundfile

    t = np.arange(4 * 8000) / 8000
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, np.stack([0.3 * np.sin(2 * np.pi * 300 * t),
                                    0.3 * np.sin(2 * np.pi * 700 * t)], axis=1), 8000)
    return path


def run_answer(name: str, lab, tmp_path, monkeypatch) -> list:
    """Run one answer as `%load` would, in a lesson's namespace; the verdicts it produced."""
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec("from helpers import *", namespace)
    verdicts = []
    for key, value in list(namespace.items()):
        if key.startswith("check_") and callable(value):
            def wrapped(*args, _check=value, **kwargs):
                verdicts.append(_check(*args, **kwargs))
                return verdicts[-1]
            namespace[key] = wrapped
    namespace.update(lab=lab, PAUSER=PAUSER, CUSTOMER=CUSTOMER, ncco=[
        {"action": "record"},
        {"action": "talk", "text": "Thanks for calling. This call is recorded for training."}])
    exec(PRELUDE.get(Path(name).stem, ""), namespace)
    if Path(name).name.startswith("06_"):
        namespace["path"] = split_recording(tmp_path / "recordings" / "split.wav")
    tree = ast.parse((SOLUTIONS / Path(name).name).read_text(), name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, name, "exec"), namespace)
    if last is not None:  # the cell's last value, as the notebook shows it
        value = eval(compile(ast.Expression(last.value), name, "eval"), namespace)
        if isinstance(value, helpers.Verdict) and value not in verdicts:
            verdicts.append(value)
    return verdicts


@pytest.mark.parametrize("name", sorted(loads()), ids=lambda n: Path(n).stem)
def test_each_answer_passes_its_self_check(name, lab, tmp_path, monkeypatch):
    source = (SOLUTIONS / Path(name).name).read_text()
    compile(source, name, "exec")
    assert source.startswith("# Answer:"), "an answer says why first"
    if Path(name).stem in NEEDS_LESSON_RECORDINGS:
        return
    set_callee(lab, PAUSER, PAUSER_SCRIPT, answer_after=1)
    set_callee(lab, CUSTOMER, CUSTOMER_SCRIPT, answer_after=1)
    verdicts = run_answer(name, lab, tmp_path, monkeypatch)
    assert verdicts, "the answer ran no self-check"
    assert all(v.passed for v in verdicts), [v.why for v in verdicts]


def test_lesson_04_exercise_as_shipped_fails_its_check(lab, downloads):
    shipped = [{"action": "record", "timeOut": 3},
               {"action": "talk", "text": "Please leave a message after the tone"}]
    assert not helpers.check_message_after_prompt(lab, shipped, "#", callee=helpers.PRESSES_HASH,
                                                  folder=downloads).passed


def test_lesson_10_exercise_1_does_not_demand_what_its_answer_never_plays(lab, downloads):
    """The intended answer (endOnSilence above the 4 s pause) records every word; the caller
    hangs up before "Thank you, goodbye", and the exercise no longer asks for it."""
    set_callee(lab, PAUSER, PAUSER_SCRIPT, answer_after=1)
    answer = [{"action": "talk", "text": "Please leave a message"},
              {"action": "record", "beepStart": True, "endOnSilence": 6},
              {"action": "talk", "text": "Thank you, goodbye"}]
    verdict = helpers.check_whole_message(lab, answer, callee=PAUSER, folder=downloads)
    assert verdict.passed and "did not play" in verdict.why
    answer[1]["endOnSilence"] = 3  # as shipped: the second half of the message is lost
    assert not helpers.check_whole_message(lab, answer, callee=PAUSER, folder=downloads).passed
    text = "\n".join(c.source for c in nbformat.read(
        ROOT / "notebooks" / "10_clinic_bad_request_and_missing_recordings.ipynb",
        as_version=4).cells)
    assert "still plays after it" not in text
