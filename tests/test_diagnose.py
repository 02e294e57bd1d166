"""The diagnoser: every ticket of the case library, bad input, evidence, and the widget."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import ipywidgets as w
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import assumptions, rules
from helpers.callees import PERSONAS
from helpers.cases import Case, find_case, load_cases
from helpers.client import Lab
from helpers.diagnoser import DIAGNOSE_NUMBER, FINDINGS, NOTICES, Diagnosis, Finding, diagnose
from helpers.diagnoser.context import CHECKS
from helpers.diagnoser.diagnosis import MAX_INPUT_CHARS
from helpers.diagnoser.findings import FIXES, MAX_SHOWN_WORDS, details, shown
from helpers.widgets.diagnoser import DiagnoserWidget

CASES = load_cases()
ROOT = Path(__file__).resolve().parents[1]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
REC = ["https://api.acme.example/vonage/recordings"]
VOICEMAIL = [{"action": "talk", "text": "Please leave a message after the beep."},
             {"action": "record", "beepStart": True, "endOnSilence": 5, "timeOut": 120,
              "eventUrl": REC},
             {"action": "talk", "text": "Thanks, goodbye."}]
PATIENT_CALLER = {"answer_after": 1, "script": [{"silence": 4}, {"speak": 6}, {"silence": 8},
                                                {"hangup": True}]}


def assert_clean_text(text: str) -> None:
    """Nothing that changes between runs or machines: ids, ports, temp paths."""
    assert not UUID.search(text), text
    assert "127.0.0.1" not in text and "/tmp/" not in text, text


# --- the case library -----------------------------------------------------------------------

def test_the_library_holds_at_least_15_complete_tickets():
    assert len(CASES) >= 15
    assert len({c.id for c in CASES}) == len(CASES)
    for case in CASES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", case.id), case.id
        assert case.title and len(case.customer_words) > 40 and case.ncco_text
        sentences = len(re.findall(r"[.!?](\s|$)", case.answer))
        assert 2 <= sentences <= 4, (case.id, sentences)
        assert set(case.expected) <= {"findings", "problems", "recordings", "status",
                                      "report_mentions"}, case.id
        assert set(case.expected.get("findings", [])) <= set(FINDINGS), case.id
        callee = case.callee
        assert isinstance(callee, dict) or callee is None or callee in PERSONAS, case.id


#: Claims the docs do not support (content review #2, #6, #7, #8, #14): no ticket answer, which
#: support staff send to customers, may make them again.
UNSUPPORTED_CLAIMS = (
    "wait for the 'answered'", "wait for the answered", "records until the caller hangs up",
    "record last keeps", "stays up", "is refused", "are refused",
    "vonage records one mixed channel", "vonage records one mono", "channels only takes effect",
    "the two recordings overlap", "is in both files", "voicemail pattern",
)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_ticket_answers_promise_no_undocumented_behaviour(case: Case):
    answer = case.answer.lower()
    assert not [claim for claim in UNSUPPORTED_CLAIMS if claim in answer], case.answer


def test_the_hangup_answer_gives_the_support_article_s_fix():
    answer = find_case("hangup-bad-request").answer
    assert "at least 2 seconds" in answer and "retry" in answer and "400" in answer


def test_every_finding_code_is_exercised_by_a_case():
    covered = {code for case in CASES for code in case.expected.get("findings", [])}
    assert set(FINDINGS) - covered == set(), "findings no ticket tests"


def test_finding_codes_are_stable_kebab_case_with_a_description():
    for code, text in FINDINGS.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", code) and text.endswith("."), code
    assert NOTICES <= set(FINDINGS)


#: Each ticket diagnosed once with a simulated call, shared by the tests over every ticket.
_DIAGNOSED: dict[str, Diagnosis] = {}


def diagnosed(case: Case, lab: Lab, folder) -> Diagnosis:
    if case.id not in _DIAGNOSED:
        _DIAGNOSED[case.id] = case.diagnose(lab, folder=str(folder))
    return _DIAGNOSED[case.id]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_diagnoser_passes_every_ticket(lab, downloads, case: Case):
    diagnosis = diagnosed(case, lab, downloads)
    assert case.mismatches(diagnosis) == []
    assert set(diagnosis.codes) <= set(FINDINGS)
    assert not [n for n in diagnosis.notes if "could not" in n], diagnosis.notes
    for finding in diagnosis.findings:
        assert finding.message.endswith((".", ")")) and finding.fix.endswith("."), finding
    assert_clean_text(diagnosis.report())
    assert_clean_text(diagnosis._repr_html_())
    if not diagnosis.problems and diagnosis.ncco is not None:
        assert diagnosis.result is not None, "a valid ticket is simulated"


def test_the_report_is_the_same_on_every_run(lab, downloads):
    case = find_case("only-3-seconds")
    first, second = (case.diagnose(lab, folder=str(downloads)) for _ in range(2))
    assert first.report() == second.report() == repr(first)


def test_find_case_names_the_known_ids():
    with pytest.raises(KeyError, match="only-3-seconds"):
        find_case("no-such-ticket")


def test_check_answer_is_a_self_check():
    case = find_case("hold-music-then-record")
    assert case.check_answer(["record-after-endless-action"]).passed
    wrong = case.check_answer(["record-late"])
    assert not wrong.passed and "not in this ticket: record-late" in wrong.why
    assert "1 mistake(s) not named yet" in case.check_answer([]).why


def test_mismatches_catch_a_wrong_expectation(lab, downloads):
    case = find_case("voicemail-cut-off")
    diagnosis = case.diagnose(lab, folder=str(downloads))
    altered = Case(**{**case.__dict__, "expected": {
        "findings": ["record-only-action"], "problems": ["timeOut"], "status": "busy",
        "recordings": [{"action": 1, "start": 2.8, "end": 9.9, "ended_by": "timeOut"}]}})
    wrong = altered.mismatches(diagnosis)
    assert len(wrong) == 4, wrong


# --- bad input never raises -----------------------------------------------------------------

BAD_INPUT = [
    ('[{"action": "record",}]', "line 1, column 22"),
    ('[\n  {"action": "talk", "text": "hi"}\n  {"action": "record"}\n]', "line 3, column 3"),
    ("[{'action': 'record'}]", "single quotes are Python"),
    ('[{"action": "record", "beepStart": True}]', "true, false and null in lower case"),
    ('[{\u201caction\u201d: \u201crecord\u201d}]', "curly quotes"),
    ('{"action": "talk", "text": "a"}, {"action": "record"}', "surrounding [ ]"),
    ('{"action": "record"}', "wrap this action in [ ]"),
    ({"action": "record"}, "wrap this action in [ ]"),
    ({"to": [{"type": "phone"}], "ncco": [{"action": "record"}]}, "whole create-call request"),
    ('"record"', "you gave a string"),
    ("42", "you gave a number"),
    (None, "you gave null"),
    (3.5, "you gave a number"),
    ("", "The input is empty"),
    ("   \n ", "The input is empty"),
    ([], "The NCCO is empty"),
    ("[]", "The NCCO is empty"),
    ([{"action": "recrod"}], "Unknown action 'recrod'"),
    ([{"action": ["record"]}], "Unknown action"),
    ([{"text": "hello"}], "Unknown action None"),
    (["record"], "Each action must be an object"),
    ([{"action": "record", "endOnSilence": "five"}], 'you gave "five"'),  # "5" is read as 5
    ([{"action": "record", "endOnSilence": 2}], "from 3 to 10 seconds"),
    ([{"action": "record", "timeOut": float("nan")}], "you gave NaN"),
    ([{"action": "record", "eventUrl": "https://a.example/x"}], "a list with one http(s) URL"),
    ([{"action": "record", "endOnKey": "##"}], "a single key"),
    ([{"action": "record", "format": "flac"}], "one of 'mp3', 'wav', 'ogg'"),
    (b"\xff\xfe\x00garbage", "not UTF-8 text"),
    ("[" * 50_000 + "]" * 50_000, "too deeply"),
    ("[" + ",".join(['{"action": "talk", "text": "x"}'] * 5000) + "]", "at most 100,000"),
    ([{"action": "talk", "text": "x" * 200}] * 1000, "too large for the diagnoser"),
    (object(), "list of actions"),
]


@pytest.mark.parametrize("bad, says", BAD_INPUT, ids=[str(i) for i in range(len(BAD_INPUT))])
def test_bad_input_becomes_a_problem_with_a_pointer(bad, says):
    diagnosis = diagnose(bad)
    assert diagnosis.problems and not diagnosis.ok()
    assert says in diagnosis.report(), diagnosis.report()
    assert diagnosis.result is None
    assert isinstance(diagnosis._repr_html_(), str) and "Traceback" not in diagnosis.report()
    assert not [n for n in diagnosis.notes if "could not" in n], diagnosis.notes


def test_bad_input_with_a_lab_places_no_call(lab, downloads):
    before = len(lab.events.all())
    diagnosis = diagnose('[{"action": "record", "endOnSilence": 11}]', lab=lab,
                         folder=str(downloads))
    assert diagnosis.result is None and len(lab.events.all()) == before
    assert "endOnSilence must be a whole number from 3 to 10 seconds; you gave 11." in \
        diagnosis.report()
    assert "Not simulated" in diagnosis.report()


def test_json_errors_show_the_line_with_a_caret():
    report = diagnose('[\n  {"action": "record" "beepStart": true}\n]').report()
    assert "line 2, column 23" in report and "A comma (or a closing bracket) is missing" in report
    line, caret = [ln for ln in report.splitlines() if '"beepStart"' in ln or ln.strip() == "^"]
    assert caret.index("^") == line.index('"beepStart"')


ACTION = st.fixed_dictionaries({"action": st.sampled_from(sorted(rules.ACTION_PARAMS))})
JSONISH = st.recursive(st.none() | st.booleans() | st.integers(-10, 10_000) |
                       st.floats(allow_nan=True) | st.text(max_size=12),
                       lambda inner: st.lists(inner, max_size=3) |
                       st.dictionaries(st.text(max_size=12), inner, max_size=3), max_leaves=8)
PARAM_NAMES = st.sampled_from(sorted({n for t in rules.ACTION_PARAMS.values() for n in t} |
                                     {"timeout", "endonkey", "eventurl", "record", "loop"}))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.builds(lambda base, extra: {**base, **extra}, ACTION,
                          st.dictionaries(PARAM_NAMES, JSONISH, max_size=4)), max_size=5)
       | JSONISH, st.sampled_from([None, "447700900002", "447700900005", "447700900003"]))
def test_no_input_makes_a_check_fail(ncco, callee):
    diagnosis = diagnose(ncco, callee)
    assert not [n for n in diagnosis.notes if "could not" in n], diagnosis.notes
    assert set(diagnosis.codes) <= set(FINDINGS)
    diagnosis.report()


# --- without a lab, and the callee ----------------------------------------------------------

def test_without_a_lab_the_checks_are_static():
    diagnosis = diagnose(json.dumps(find_case("first-words-missing").ncco))
    assert diagnosis.result is None and "pass lab=... to run a test call" in diagnosis.report()
    late = next(f for f in diagnosis.findings if f.code == "record-late")
    assert "about 4.8 s after the answer" in late.message and "simulated" not in late.message


def test_end_on_key_uses_the_callee_script_without_a_lab():
    ncco = [{"action": "record", "endOnKey": "#", "eventUrl": REC}]
    assert "end-on-key-never-pressed" in diagnose(ncco, "447700900005").codes
    assert "end-on-key-never-pressed" not in diagnose(ncco, "447700900002").codes
    assert "end-on-key-never-pressed" not in diagnose(ncco, "447799999999").codes  # unknown
    with_fallback = [{**ncco[0], "endOnSilence": 5}]
    assert "end-on-key-never-pressed" not in diagnose(with_fallback, "447700900005").codes


def test_end_on_key_with_a_fallback_that_worked_is_no_finding(lab, downloads):
    case = find_case("hash-never-pressed")
    fixed = [case.ncco[0], {**case.ncco[1], "endOnSilence": 5}, case.ncco[2]]
    diagnosis = diagnose(fixed, case.callee, lab=lab, folder=str(downloads))
    assert diagnosis.windows()[0]["ended_by"] == "endOnSilence 5"
    assert "end-on-key-never-pressed" not in diagnosis.codes
    talker = diagnose([{"action": "record", "endOnKey": "#", "endOnSilence": 3}], "447700900010",
                      lab=lab, folder=str(downloads))  # never pauses 3 s: the fallback never fires
    assert "end-on-key-never-pressed" in talker.codes


def test_a_bad_callee_script_is_a_problem_not_an_exception():
    diagnosis = diagnose([{"action": "record"}], {"answer_after": 1, "script": [{"sing": 3}]})
    assert [p.parameter for p in diagnosis.problems] == ["callee"]
    assert "Unknown step 'sing'" in diagnosis.report()


@pytest.mark.parametrize("callee", ["+44 7700 900001", ["447700900001"], True, 4.5])
def test_a_callee_that_is_no_number_is_a_problem(callee):
    diagnosis = diagnose([{"action": "record"}], callee)
    assert [p.parameter for p in diagnosis.problems] == ["callee"]
    assert "The callee must be a phone number such as 447700900001" in diagnosis.report()


def test_a_script_callee_is_set_on_its_own_number(lab, downloads):
    diagnosis = diagnose(VOICEMAIL, PATIENT_CALLER, lab=lab, folder=str(downloads))
    assert diagnosis.result.to == DIAGNOSE_NUMBER
    assert diagnosis.ok(), diagnosis.report()  # only the beep notice: a sound voicemail
    assert diagnosis.codes == ["beep-after-prompt"]
    assert diagnosis.windows()[0]["ended_by"] == "endOnSilence 5"


def test_a_live_lab_is_never_called():
    live = Lab("live", None, None, "https://example.invalid")
    diagnosis = diagnose([{"action": "record"}], lab=live)
    assert diagnosis.result is None and "never places real calls" in diagnosis.report()


def test_sdk_models_are_read_as_the_sdk_would_send_them():
    from vonage_voice.models.ncco import Record, Talk

    diagnosis = diagnose([Talk(text="Please leave a message."), Record(timeOut=5)])
    assert diagnosis.ncco[1] == {"action": "record", "timeOut": 5}
    assert "timeout-too-short" in diagnosis.codes


# --- evidence from the simulated call -------------------------------------------------------

def test_evidence_quotes_the_silence_that_ended_the_recording(lab, downloads):
    diagnosis = find_case("only-3-seconds").diagnose(lab, folder=str(downloads))
    finding = next(f for f in diagnosis.findings if f.code == "end-on-silence-whole-call")
    assert ("the recording lasted 4.5 s and ended by endOnSilence 3 while the caller was still "
            "to speak at 5.5 s") in finding.message


def test_a_wrong_case_name_is_simulated_as_if_ignored(lab, downloads):
    diagnosis = find_case("hash-does-nothing").diagnose(lab, folder=str(downloads))
    finding = next(f for f in diagnosis.findings if f.code == "wrong-case-name")
    assert "'endonkey' (it is 'endOnKey')" in finding.message
    assert ("Simulated with 'endonkey' left out, as if ignored: the recording ran 2.6\u20133.9 s"
            in finding.message)
    assert diagnosis.result is None


def test_record_late_says_when_nothing_was_lost(lab, downloads):
    ncco = [{"action": "talk", "text": "Connecting you."}, {"action": "record", "eventUrl": REC}]
    diagnosis = diagnose(ncco, "447700900005", lab=lab, folder=str(downloads))
    late = next(f for f in diagnosis.findings if f.code == "record-late")
    assert "nothing was lost" in late.message
    quiet = next(f for f in diagnose(ncco, "447700900005").findings if f.code == "record-late")
    assert "simulated" not in quiet.message


def test_findings_that_rest_on_an_assumption_carry_its_label():
    cases = {
        "record-only-action": ([{"action": "record"}], "RECORD_LAST_HOLDS_CALL"),
        "channels-without-split": ([{"action": "record", "channels": 2},
                                    {"action": "talk", "text": "Bye"}], "CHANNELS_NEED_SPLIT"),
        "mp3-too-many-channels": ([{"action": "record", "format": "mp3",
                                    "split": "conversation", "channels": 4}],
                                  "MP3_MAX_CHANNELS"),
        "two-records": ([{"action": "record"}, {"action": "talk", "text": "Hello"},
                         {"action": "record"}], "RECORDS_CAN_OVERLAP"),
        "beep-after-prompt": ([{"action": "talk", "text": "Leave a message"},
                               {"action": "record", "beepStart": True, "endOnKey": "#"}],
                              "BEEP_SECONDS"),
    }
    for code, (ncco, name) in cases.items():
        finding = next(f for f in diagnose(ncco).findings if f.code == code)
        assert name in finding.assumptions, code
        assert assumptions.label(name) in str(finding), code
    plain = next(f for f in diagnose([{"action": "record", "timeOut": 30}]).findings
                 if f.code == "record-only-action")
    assert plain.assumptions == () and "Lab assumption" not in str(plain)


def test_a_labelled_finding_is_labelled_in_the_report(lab, downloads):
    """The short line says it rests on a lab assumption; the details give the label, without
    its name (the name is in the tooltip, for trainers)."""
    diagnosis = find_case("hangup-bad-request").diagnose(lab, folder=str(downloads))
    assert "(A lab assumption.)" in diagnosis.report()
    label = assumptions.label("RECORD_LAST_HOLDS_CALL")
    assert label.replace(" (RECORD_LAST_HOLDS_CALL)", "") in diagnosis.details()
    assert "RECORD_LAST_HOLDS_CALL" not in diagnosis.details()
    assert "title='record-only-action RECORD_LAST_HOLDS_CALL" in diagnosis._repr_html_()


def test_record_only_says_what_a_blocking_record_does(lab, downloads):
    diagnosis = diagnose([{"action": "record", "endOnSilence": 3, "eventUrl": REC}],
                         "447700900001", lab=lab, folder=str(downloads))
    finding = next(f for f in diagnosis.findings if f.code == "record-only-action")
    assert "the call ends as soon as the recording stops" in finding.message
    assert diagnosis.timeline.end_reason == "the person on the call hung up"


STANDARD_VOICEMAIL = [{"action": "talk", "text": "Please leave a message after the tone"},
                      {"action": "record", "beepStart": True, "endOnSilence": 3, "timeOut": 20},
                      {"action": "talk", "text": "Thank you, goodbye"}]


def _finding_lines(diagnosis: Diagnosis) -> list[str]:
    report = diagnosis.report()
    section = report.split("\nFindings\n", 1)[1].split("\n\n", 1)[0]
    return section.split("\n  ")


@pytest.mark.parametrize("simulated", [True, False], ids=["simulated", "static"])
def test_the_diagnoser_agrees_with_itself_on_the_standard_voicemail(lab, downloads, simulated):
    """No advice to add what is there (beepStart); never "fine" beside an instruction to fix."""
    diagnosis = diagnose(STANDARD_VOICEMAIL, "447700900006", lab=lab if simulated else None,
                         folder=str(downloads))
    assert "beep-after-prompt" in diagnosis.codes
    for line in _finding_lines(diagnosis):
        assert "add beepStart" not in line and "set beepStart" not in line, line
        assert not ("fine" in line and "Fix:" in line), line
        assert not ("nothing to fix" in line.lower() and "Fix:" in line), line
        assert not ("nothing to change" in line.lower() and "Fix:" in line), line
    if "record-late" in diagnosis.codes:  # the caller spoke before the beep: not "fine" then
        assert "nothing to fix" not in diagnosis.report()
        assert not diagnosis.ok()


def test_a_notice_alone_says_nothing_to_fix_and_offers_its_fix_as_an_option():
    finding = Finding("no-record-event-url", 1, "m.", "f.")
    assert shown(finding, True) == f"Action 1: {FINDINGS[finding.code]} Nothing to fix."
    assert details(finding, True) == ["m.", "Only if you want otherwise: f."]
    assert shown(finding, False).endswith(f"Fix: {FIXES[finding.code]}")


def test_every_check_is_registered_once():
    assert len(CHECKS) == len({c.__name__ for c in CHECKS}) == len(FINDINGS)  # one per code
    assert set(FIXES) == set(FINDINGS)


# --- the widget -----------------------------------------------------------------------------

def test_widget_runs_a_ticket_and_draws_the_call(lab, downloads):
    widget = DiagnoserWidget(lab, folder=downloads)
    assert repr(widget) == "<NCCO diagnoser: not run yet>"
    widget.load_case(find_case("only-3-seconds"))
    assert widget.callee.value == "custom" and isinstance(widget.chosen_callee(), dict)
    diagnosis = widget.run()
    assert isinstance(diagnosis, Diagnosis) and diagnosis is widget.diagnosis
    assert FINDINGS["end-on-silence-whole-call"] in html.unescape(widget.report.value)
    assert "title='end-on-silence-whole-call'" in widget.report.value  # the code: a tooltip
    images = [c for c in widget.pictures.children if isinstance(c, w.Image)]
    assert len(images) == 2 and all(i.value[:4] == b"\x89PNG" for i in images)
    assert repr(widget) == "<NCCO diagnoser: 0 problem(s), 1 finding(s)>"


def test_widget_shows_a_sentence_for_bad_json(lab, downloads):
    widget = DiagnoserWidget(lab, '[{"action": "record",}]', folder=downloads)
    widget.button.click()
    assert widget.diagnosis is not None and widget.diagnosis.ncco is None
    assert widget.error.startswith("The NCCO could not be read. This is not valid JSON")
    assert "line 1, column 22" in widget.status.value and "Traceback" not in widget.report.value
    assert widget.pictures.children == ()
    assert repr(widget) == "<NCCO diagnoser: the input is not an NCCO>"


def test_widget_chooses_a_persona_and_works_without_a_lab(downloads):
    widget = DiagnoserWidget(ncco=[{"action": "record", "endOnKey": "#"}], callee="447700900005")
    assert widget.chosen_callee() == "447700900005" and len(widget.callee.options) == len(PERSONAS)
    diagnosis = widget.run()
    assert "end-on-key-never-pressed" in diagnosis.codes and diagnosis.result is None
    widget.callee.value = "447700900002"
    assert "end-on-key-never-pressed" not in widget.run().codes


def test_widget_turns_a_crash_into_a_sentence(monkeypatch):
    widget = DiagnoserWidget(ncco="[]")
    monkeypatch.setattr("helpers.widgets.diagnoser.diagnose",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk full")))
    assert widget.run() is None and widget.error == "The diagnoser stopped: disk full"
    assert repr(widget) == "<NCCO diagnoser: stopped>" and not widget.button.disabled


def test_input_limit_is_the_documented_one():
    assert f"{MAX_INPUT_CHARS:,}" in diagnose("[" + " " * MAX_INPUT_CHARS + "]").report()


def test_text_numbers_booleans_and_nulls_get_a_notice_not_a_problem(lab, downloads):
    """The PHP SDK sends "timeOut": "7200" and "beepStart": "false"; JS clients send null."""
    php = [{"action": "talk", "text": "Leave a message after the tone."},
           {"action": "record", "timeOut": "8", "beepStart": "true", "endOnKey": None,
            "eventUrl": [REC[0]]}]
    diagnosis = diagnose(php, "447700900001", lab=lab, folder=str(downloads))
    assert not diagnosis.problems and diagnosis.result is not None
    report = diagnosis.report()
    assert "Notices" in report
    assert 'Action 1 sends timeOut as the text "8"' in report
    assert "Action 1 sends endOnKey: null" in report
    assert "Vonage would reject" not in report and "not valid" not in report
    assert "timeout-too-short" in diagnosis.codes  # the checks read 8, not "8"
    assert diagnosis.windows()[0]["ended_by"] == "timeOut"
    assert diagnosis.ncco == php  # the report keeps what the customer sent


def test_a_record_after_a_transfer_action_never_starts(lab, downloads):
    ncco = [{"action": "transfer", "conversationId": "CON-sales"},
            {"action": "record", "eventUrl": REC}]
    diagnosis = diagnose(ncco, "447700900001", lab=lab, folder=str(downloads))
    assert not diagnosis.problems
    finding = next(f for f in diagnosis.findings if f.code == "record-after-endless-action")
    assert "transfer moves the call into another conversation" in finding.message
    assert not diagnosis.timeline.recordings


# --- what the trainee reads: short, plain, no codes -----------------------------------------

#: A name meant for code, not for a trainee: an assumption's UPPER_SNAKE name or a finding's code.
UPPER_SNAKE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
FINDING_CODE = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, FINDINGS)) + r")(?![\w-])")


def visible(html_text: str) -> str:
    """What a browser shows of some HTML: the text outside tags (tooltips are not shown)."""
    return html.unescape(re.sub(r"<[^>]*>", " ", html_text))


def assert_short_and_plain(diagnosis: Diagnosis) -> None:
    """Each finding's line is at most MAX_SHOWN_WORDS words; no code-like token anywhere the
    trainee reads; never "fine" or "nothing to fix" on a line that also gives a fix."""
    for finding in diagnosis.findings:
        line = shown(finding, diagnosis._notice(finding))
        assert len(line.split()) <= MAX_SHOWN_WORDS, (len(line.split()), line)
    for text in (diagnosis.report(), diagnosis.details(), visible(diagnosis._repr_html_())):
        assert not UPPER_SNAKE.search(text), UPPER_SNAKE.search(text).group()
        assert not FINDING_CODE.search(text), FINDING_CODE.search(text).group()
    if diagnosis.findings:
        for line in _finding_lines(diagnosis):
            said_fine = "fine" in line or "nothing to fix" in line.lower()
            assert not (said_fine and "Fix:" in line), line


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_ticket_s_findings_are_short_and_plain(lab, downloads, case: Case):
    assert_short_and_plain(diagnosed(case, lab, downloads))


def _nccos_in(source: str) -> list[list]:
    """Every NCCO written as a literal in some Python source (magics left out)."""
    import ast

    try:
        tree = ast.parse("\n".join(line for line in source.splitlines()
                                   if not line.lstrip().startswith(("%", "!"))))
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.List) and node.elts and all(
                isinstance(e, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "action"
                                                for k in e.keys) for e in node.elts):
            try:
                found.append(ast.literal_eval(node))
            except ValueError:  # a value computed in the cell (lab.event_url(...))
                continue
    return found


def lesson_nccos() -> list[tuple[str, list]]:
    """Every NCCO in the lessons' code cells and their answers: (where, the NCCO)."""
    import nbformat

    found = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                found += [(f"{path.name[:2]}:{cell.id}", n) for n in _nccos_in(cell.source)]
    for path in sorted((ROOT / "notebooks" / "solutions").glob("*.py")):
        found += [(path.stem, n) for n in _nccos_in(path.read_text())]
    return [(f"{where}#{i}", ncco) for i, (where, ncco) in enumerate(found)]


LESSON_NCCOS = lesson_nccos()


def test_the_lessons_hold_ncco_to_diagnose():
    assert len(LESSON_NCCOS) >= 30 and {n[:2] for n, _ in LESSON_NCCOS} >= {"00", "03", "07"}


@pytest.mark.parametrize("where, ncco", LESSON_NCCOS, ids=[n for n, _ in LESSON_NCCOS])
def test_every_lesson_ncco_s_findings_are_short_and_plain(where, ncco):
    assert_short_and_plain(diagnose(ncco))
