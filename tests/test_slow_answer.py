"""A slow answer URL (lesson 08): the caller is answered when the answer URL is asked, hears
silence until its NCCO arrives, and the simulator counts the seconds the reply declares
(assumptions.ANSWER_SECONDS_HEADER), never the wall time, so a run is the same every time."""

from __future__ import annotations

import time

import pytest
from vonage_voice.models import Connect, PhoneEndpoint, Record

from helpers import assumptions, exercises
from helpers.callees import NUMBERS
from helpers.calls import paced, set_callee, set_pace, timeline, wait_until_ended
from helpers.plots import _story

SILENT = NUMBERS["silent"]
AGENT = NUMBERS["agent"]
GREETING = [{"action": "talk", "text": "Thank you for calling."}]
HOLD = [{"action": "talk", "text": "Please hold."},
        {"action": "stream", "streamUrl": ["https://example.com/hold.mp3"], "loop": 0}]


def ring(lab, answer, delay=0.0, caller=SILENT):
    lab.answer(answer, delay=delay)
    made = lab.ring(caller)
    wait_until_ended(lab, made)
    return made, timeline(lab, made)


def test_a_slow_answer_url_is_silence_between_the_answer_and_the_ncco(lab):
    set_callee(lab, "447700900131", [{"silence": 1}, {"say": "Hello?"},
                                          {"silence": 6}, {"hangup": True}])
    started = time.monotonic()
    made, story = ring(lab, GREETING + [{"action": "wait", "timeout": 3}], delay=1.5,
                       caller="447700900131")
    assert time.monotonic() - started >= 1.5  # the receiver really waited
    asked = next(e for e in story.log if e["what"] == "answer_request")
    answered = next(e for e in story.log if e.get("status") == "answered")
    assert asked["t"] == answered["t"] == story.answered  # ANSWERED_BEFORE_NCCO
    assert story.answer_wait() == 1.5 and story.first_heard() == 1.5  # declared, not measured
    assert story.spans((0,))[0][0] == 1.0  # the caller's script counts from the answer
    [delivery] = [d for d in story.deliveries if d["event"] == "answer"]
    assert delivery["seconds"] == 1.5
    again = ring(lab, GREETING + [{"action": "wait", "timeout": 3}], delay=1.5,
                 caller="447700900131")[1]
    assert (again.answer_wait(), again.first_heard(), again.duration()) == (
        story.answer_wait(), story.first_heard(), story.duration())


def test_an_answer_url_that_replies_at_once_costs_no_time(lab):
    _, story = ring(lab, GREETING)
    assert story.answer_wait() == 0.0 and story.first_heard() == 0.0
    assert not [e for e in story.log if e["what"] == "answer_reply"]


def test_answered_when_the_reply_arrives_if_the_assumption_is_switched(lab, monkeypatch):
    monkeypatch.setattr(assumptions, "ANSWERED_BEFORE_NCCO", False)
    _, story = ring(lab, GREETING, delay=1.0)
    asked = next(e["t"] for e in story.log if e["what"] == "answer_request")
    assert story.answered - asked == 1.0 and story.first_heard() == 0.0


def test_the_timeline_plot_shows_the_silence_the_caller_hears(lab):
    _, story = ring(lab, GREETING, delay=1.0)
    hears = next(lane for lane in _story(story).lanes if lane.name == "Caller hears")
    silence = hears.bars[0]
    assert (silence.start, silence.end) == (0.0, 1.0) and "answer URL 1.0 s" in silence.text


def test_a_transfer_stops_the_hold_music_and_the_new_ncco_runs(lab):
    lab.answer(HOLD)
    with paced(lab, 20.0):
        made = lab.ring(SILENT)
    lab.events.wait_for_status(made["uuid"], "answered")
    time.sleep(0.3)  # about 6 virtual seconds: the talk is over, the hold music plays
    lab.voice.transfer_call_ncco(made["uuid"], [
        Record(split="conversation", timeOut=3),
        Connect(from_=lab.number, endpoint=[PhoneEndpoint(number=AGENT)])])
    set_pace(lab, None, made)
    wait_until_ended(lab, made)
    story = timeline(lab, made)
    moved = next(e["t"] for e in story.log if e.get("request") == "transfer")
    music = [s for s in story.sounds if s.kind == "music"]
    assert music and all(s.end <= moved for s in music)  # cut at the transfer
    assert any(e.get("why") == "transfer" and e["action"] == "stream" for e in story.log)
    assert [e["action"] for e in story.log if e["what"] == "action"][-2:] == [
        "record", "connect"]
    labels = [b.text for lane in _story(story).lanes for b in lane.bars]
    assert any(t.startswith("transferred: record") for t in labels)


def test_a_transfer_before_the_slow_reply_is_due_is_not_overrun_by_it(lab):
    """Paced, the declared seconds pass on the call's clock after the reply came: an NCCO the
    API sends in that window runs, and the reply's NCCO does not start over it."""
    lab.answer(GREETING, delay=2.0)
    with paced(lab, 1.0):
        made = lab.ring(SILENT)
    lab.events.wait_for_status(made["uuid"], "answered")
    time.sleep(0.8)  # past CALL_SETUP_SECONDS of the call's age, before the reply is due
    lab.voice.transfer_call_ncco(made["uuid"], [Record(timeOut=3)])
    set_pace(lab, None, made)
    wait_until_ended(lab, made)
    story = timeline(lab, made)
    assert [e["action"] for e in story.log if e["what"] == "action"] == ["record"]
    assert [e["what"] for e in story.log if e["what"] == "answer_reply"] == ["answer_reply"]


@pytest.mark.parametrize("delay", [-1, "4", True, 11, float("nan")])
def test_lab_answer_refuses_a_bad_delay_naming_it(lab, delay):
    with pytest.raises(ValueError, match="delay must be a number of seconds from 0 to 10"):
        lab.answer(GREETING, delay=delay)


def test_the_quick_answer_check_judges_what_the_caller_hears(lab):
    lab.answer(GREETING)
    served = lab.receiver.answers.source

    def answer_with(ncco):
        return lambda request: ncco

    assert exercises.check_answers_at_once(lab, answer_with(HOLD), caller=SILENT).passed
    talk_only = exercises.check_answers_at_once(lab, answer_with(HOLD[:1]), caller=SILENT)
    assert not talk_only.passed and "ran out of actions" in talk_only.why
    silent_first = exercises.check_answers_at_once(
        lab, answer_with([{"action": "wait", "timeout": 3}] + HOLD), caller=SILENT)
    assert not silent_first.passed and "silence for 3.0 s" in silent_first.why

    def broken(request):
        raise KeyError("agent")

    failed = exercises.check_answers_at_once(lab, broken, caller=SILENT)
    assert not failed.passed and "500" in failed.why
    assert not exercises.check_answers_at_once(lab, HOLD, caller=SILENT).passed
    assert lab.receiver.answers.source is served  # the lesson's answer webhook again
