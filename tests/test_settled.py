"""A trainer's live check-list: results written to settled.json replace the assumption's
label everywhere, and switch the simulator where it can be switched."""

from __future__ import annotations

import json

import pytest

from helpers import assumptions, rules, settled
from helpers.client import _apply_settled

RECORD_LAST = [{"action": "talk", "text": "Leave a message"}, {"action": "record"}]


def test_the_checklist_names_each_open_question_with_what_to_run(tmp_path):
    text = settled.checklist(tmp_path / "settled.json")
    for question in settled.CHECKLIST:
        assert question.name in text and question.question in text
        assert hasattr(assumptions, question.name)  # every question is a named assumption
    assert text.count("open]") == len(settled.CHECKLIST)


def test_a_settled_result_replaces_the_label_in_explain(tmp_path, monkeypatch):
    monkeypatch.setenv("RECORDING_LAB_HOME", str(tmp_path))
    assert "Lab assumption (RECORD_LAST_HOLDS_CALL)" in rules.explain(RECORD_LAST)
    settled.settle("RECORD_LAST_HOLDS_CALL", False,
                   "live call 2026-12-01: ended 2 s after the talk, silent caller still on")
    text = rules.explain(RECORD_LAST)
    assert "Lab assumption (RECORD_LAST_HOLDS_CALL)" not in text
    assert "Settled by a live call" in text and "does NOT hold" in text
    assert "settled" in settled.checklist() and "does not hold" in settled.checklist()


@pytest.mark.parametrize("name, holds, evidence, wrong", [
    ("NO_SUCH_THING", True, "a real call showed it", "not an open question"),
    ("RECORD_LAST_HOLDS_CALL", "yes", "a real call showed it", "holds must be"),
    ("RECORD_LAST_HOLDS_CALL", True, "saw it", "evidence must"),
])
def test_bad_results_are_refused_with_a_sentence(tmp_path, name, holds, evidence, wrong):
    with pytest.raises(ValueError, match=wrong):
        settled.settle(name, holds, evidence, path=tmp_path / "s.json")
    assert not (tmp_path / "s.json").exists()


def test_a_damaged_file_settles_nothing(tmp_path):
    path = tmp_path / "settled.json"
    path.write_text("{not json")
    assert settled.load(path) == {}
    path.write_text(json.dumps({"RECORD_LAST_HOLDS_CALL": {"holds": "no", "evidence": "x"}}))
    assert settled.load(path) == {}


def test_connect_switches_the_simulator_the_settled_way(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("RECORDING_LAB_HOME", str(tmp_path))
    settled.settle("RECORD_LAST_HOLDS_CALL", False, "live call: the call ended with the talk")
    try:
        _apply_settled(lab)
        assert lab.vonage.http_client.get(lab.api_host, "/_sim/assumptions")[
            "RECORD_LAST_HOLDS_CALL"] is False
    finally:
        lab.vonage.http_client.put(lab.api_host, "/_sim/assumptions",
                                   {"RECORD_LAST_HOLDS_CALL": True})


def test_the_date_of_the_live_call_is_kept_and_checked(tmp_path):
    path = tmp_path / "settled.json"
    settled.settle("CHANNELS_NEED_SPLIT", True, "one mixed channel came back", path=path,
                   when="2026-11-30")
    assert settled.load(path)["CHANNELS_NEED_SPLIT"]["date"] == "2026-11-30"
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        settled.settle("CHANNELS_NEED_SPLIT", True, "one mixed channel came back", path=path,
                       when="last Tuesday")
