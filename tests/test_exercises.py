"""The lessons' self-checks: a right answer passes, a wrong one fails with the reason."""

from __future__ import annotations

from helpers import exercises

PRESSES_HASH, TALKER, AGENT = "447700900002", "447700900001", "447700900007"
CONNECT = {"action": "connect", "from": "447700900000",
           "endpoint": [{"type": "phone", "number": AGENT}]}


def test_records_until_key(lab, downloads):
    right = [{"action": "record", "endOnKey": "#"}, {"action": "talk", "text": "Got it"}]
    wrong = [{"action": "record", "timeOut": 3}, {"action": "talk", "text": "Got it"}]
    assert exercises.check_records_until_key(lab, right, "#", callee=PRESSES_HASH,
                                             folder=downloads).passed
    verdict = exercises.check_records_until_key(lab, wrong, "#", callee=PRESSES_HASH,
                                                folder=downloads)
    assert not verdict.passed and "timeOut" in verdict.why


def test_whole_call(lab, downloads):
    right = [{"action": "record"}, {"action": "talk", "text": "Welcome"},
             {"action": "wait", "timeout": 5}]
    wrong = [{"action": "talk", "text": "Welcome"}, {"action": "record"},
             {"action": "wait", "timeout": 5}]
    assert exercises.check_whole_call(lab, right, callee=TALKER, folder=downloads).passed
    assert not exercises.check_whole_call(lab, wrong, callee=TALKER, folder=downloads).passed


def test_agent_not_recorded(lab, downloads):
    right = [{"action": "record", "endOnSilence": 3}, CONNECT]
    wrong = [{"action": "record"}, CONNECT]
    assert exercises.check_agent_not_recorded(lab, right, folder=downloads).passed
    verdict = exercises.check_agent_not_recorded(lab, wrong, folder=downloads)
    assert not verdict.passed and "agent's voice" in verdict.why


def test_blocking_is_checked_by_the_rules_alone():
    assert exercises.check_blocking([{"action": "record", "timeOut": 5}], 0, True).passed
    assert not exercises.check_blocking([{"action": "record"}], 0, True).passed
    assert exercises.check_blocking([{"action": "record"}], 0, False).passed


def test_split_channels(lab, downloads):
    right = [{"action": "record", "split": "conversation", "timeOut": 4}]
    wrong = [{"action": "record", "timeOut": 4}]
    assert exercises.check_split_channels(lab, right, 2, callee=TALKER, folder=downloads).passed
    verdict = exercises.check_split_channels(lab, wrong, 2, callee=TALKER, folder=downloads)
    assert not verdict.passed and "split" in verdict.why


def test_an_invalid_ncco_is_judged_without_a_call(lab, downloads):
    verdict = exercises.check_whole_call(lab, [{"action": "record", "timeOut": 1}],
                                         callee=TALKER, folder=downloads)
    assert not verdict.passed and "not valid" in verdict.why


# --- lesson 04: the message after the prompt ------------------------------------------------

PROMPT = {"action": "talk", "text": "Please leave a message after the tone"}


def test_message_after_prompt_passes_the_voicemail_pattern(lab, downloads):
    answer = [PROMPT, {"action": "record", "endOnKey": "#"}]
    verdict = exercises.check_message_after_prompt(lab, answer, "#", callee=PRESSES_HASH,
                                                   folder=downloads)
    assert verdict.passed, verdict.why


def test_message_after_prompt_fails_a_record_before_the_prompt(lab, downloads):
    """Lesson 04's point: a record placed before the prompt records the prompt, even when it
    ends on the right key (the old check passed this)."""
    before = [{"action": "record", "endOnKey": "#"}, PROMPT]
    verdict = exercises.check_message_after_prompt(lab, before, "#", callee=PRESSES_HASH,
                                                   folder=downloads)
    assert not verdict.passed and "after the talk" in verdict.why
    assert exercises.check_records_until_key(lab, before, "#", callee=PRESSES_HASH,
                                             folder=downloads).passed  # lesson 03's check


def test_message_after_prompt_fails_the_wrong_ending_and_no_prompt(lab, downloads):
    wrong_end = [PROMPT, {"action": "record", "timeOut": 3}]
    verdict = exercises.check_message_after_prompt(lab, wrong_end, "#", callee=PRESSES_HASH,
                                                   folder=downloads)
    assert not verdict.passed and "timeOut" in verdict.why
    no_prompt = [{"action": "record", "endOnKey": "#"}]
    verdict = exercises.check_message_after_prompt(lab, no_prompt, "#", callee=PRESSES_HASH,
                                                   folder=downloads)
    assert not verdict.passed and "prompt" in verdict.why


# --- "write the reply": the facts a reply must state ---------------------------------------

FACTS = {"the cause": ["does not block", "not blocking"], "the parameter": ["endOnSilence"]}


def test_reply_that_states_every_fact_passes_in_any_case_and_wrapping():
    reply = "Your record is NOT\n  BLOCKING, so the talk starts at once. Add `endonsilence`."
    verdict = exercises.check_reply(reply, must_state=FACTS)
    assert verdict.passed and "the cause and the parameter" in verdict.why


def test_reply_names_the_first_missing_fact_but_not_its_words():
    verdict = exercises.check_reply("Please add endOnSilence: 3 to the record action.",
                                    must_state=FACTS)
    assert not verdict.passed and "the cause" in verdict.why
    assert "block" not in verdict.why  # a hint, not the answer


def test_an_empty_reply_is_asked_for_first():
    verdict = exercises.check_reply('\nHello,\n\n...\n', must_state=FACTS)
    assert not verdict.passed and "empty" in verdict.why


def test_each_lessons_reply_facts_are_not_met_by_the_question_alone():
    """The shipped cells quote the customer: repeating the question states none of the facts."""
    question_03 = ("Callers hear the thank-you while they are still leaving their message, and "
                   "the recording only stops when they hang up.")
    question_08 = ("Why is there an extended silence at the beginning of a recording and how "
                   "can it be reduced?")
    for lesson, question in (("03", question_03), ("08", question_08)):
        verdict = exercises.check_reply(question, must_state=exercises.REPLY_FACTS[lesson])
        assert not verdict.passed and "the cause" in verdict.why, (lesson, verdict.why)


# --- a hint at the first miss, the answer at the second -------------------------------------

def test_the_second_miss_on_an_exercise_names_its_answer(monkeypatch):
    from helpers.exercises import misses

    monkeypatch.setattr(misses, "misses", misses.Counter())
    cell = "# %load solutions/03_exercise_1.py\ncheck_blocking(ncco, 0, True)\n"
    monkeypatch.setattr(misses, "_current_cell", lambda: cell)
    wrong = [{"action": "record"}]
    first = exercises.check_blocking(wrong, 0, True)
    assert not first.passed and "Answer" not in first.why
    second = exercises.check_blocking(wrong, 0, True)
    assert not second.passed and second.why.startswith(first.why)
    assert "Answer: %load solutions/03_exercise_1.py" in second.why
    assert exercises.check_blocking([{"action": "record", "timeOut": 5}], 0, True).passed
    cell = "# %load solutions/05_exercise_1.py\n"  # another exercise: a hint first again
    assert "Answer" not in exercises.check_blocking(wrong, 0, True).why


def test_misses_are_not_counted_outside_an_exercise_cell(monkeypatch):
    from helpers.exercises import misses

    monkeypatch.setattr(misses, "misses", misses.Counter())
    monkeypatch.setattr(misses, "_current_cell", lambda: "check_blocking(ncco, 0, True)")
    for _ in range(3):
        assert "Answer" not in exercises.check_blocking([{"action": "record"}], 0, True).why
    assert not misses.misses


SILENT = "447700900005"
GREETING = [{"action": "record"},
            {"action": "talk", "text": "Thanks for calling. This call is recorded for training."}]


def test_lesson_00_longer_greeting_judges_the_two_calls(lab, downloads):
    from helpers.calls import run_call

    first = run_call(lab, GREETING, TALKER, folder=downloads)
    same = run_call(lab, GREETING, TALKER, folder=downloads)  # the cell as shipped
    verdict = exercises.check_longer_greeting(same, first)
    assert not verdict.passed and "no longer" in verdict.why
    longer = [GREETING[0], {"action": "talk", "text": GREETING[1]["text"]
                            + " Please tell us, in a few words, why you are calling today."}]
    verdict = exercises.check_longer_greeting(run_call(lab, longer, TALKER, folder=downloads),
                                              first)
    assert verdict.passed and "ran out of actions" in verdict.why, verdict.why


def test_lesson_00_silent_call_needs_silent(lab, downloads):
    from helpers.calls import run_call

    shipped = exercises.check_called_silent(run_call(lab, GREETING, TALKER, folder=downloads))
    assert not shipped.passed and "to=SILENT" in shipped.why
    verdict = exercises.check_called_silent(run_call(lab, GREETING, SILENT, folder=downloads))
    assert verdict.passed and "ran out of actions" in verdict.why, verdict.why


def test_lesson_06_exercise_cells_as_shipped_fail_their_checks(tmp_path):
    """The cells start from `path` itself: nothing is solved before the trainee writes it."""
    import numpy as np
    import soundfile

    path = tmp_path / "split.wav"
    soundfile.write(path, np.zeros((8000, 2), dtype="float32"), 8000)
    kept = exercises.check_channels_kept(path, path, kept=[1])
    assert not kept.passed and "2 channel(s)" in kept.why
    mp3 = exercises.check_mp3(path, path, channels=1, max_kb_per_minute=600)
    assert not mp3.passed and "not an MP3" in mp3.why
