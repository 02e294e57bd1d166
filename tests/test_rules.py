"""The record rules: one source of truth, checked against the SDK's model and Vonage's schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from vonage_voice.models.ncco import Record

from helpers import assumptions, rules

SPEC = Path(__file__).resolve().parents[2] / "shared" / "vonage-spec" / "ncco-schema.json"

# Values of every JSON type, plus the edges of every range in the rules.
edges = sorted({v for p in rules.RECORD_PARAMS.values() if p.minimum is not None
                for v in (p.minimum - 1, p.minimum, p.maximum, p.maximum + 1)})
json_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 8000), st.sampled_from(edges),
    st.floats(-5, 8000, allow_nan=False), st.sampled_from(list("0123456789*#ab") + ["##", ""]),
    st.sampled_from(["mp3", "wav", "ogg", "MP3", "flac", "conversation", "POST", "GET",
                     "PATCH", "5"]),
    st.lists(st.sampled_from(["https://example.com/rec", "ftp://x", "nope"]), max_size=2),
)

#: Where the rules are deliberately stricter than the SDK's model, and why.
STRICTER_THAN_SDK = {
    "eventMethod": "the SDK types it as any string; Vonage's schema allows only POST and GET",
    "eventUrl": "the SDK takes any list of strings; Vonage's schema needs http(s) URLs",
    "transcription": "the SDK's Record model has no such field and silently drops it",
}


def record_problems(**params) -> list[rules.Problem]:
    return rules.validate([{"action": "record", **params}])


def sdk_accepts(name: str, value) -> tuple[bool, dict]:
    try:
        model = Record(**{name: value})
    except ValidationError:
        return False, {}
    return True, json.loads(model.model_dump_json(exclude_none=True, by_alias=True))


@pytest.mark.parametrize("name", [n for n in rules.RECORD_PARAMS if n not in STRICTER_THAN_SDK])
@settings(max_examples=150, deadline=None)
@given(value=json_values)
def test_rules_agree_with_the_sdk_record_model(name, value):
    """What the SDK rejects the rules reject; what the SDK sends the rules accept."""
    if value is None:
        return  # None means "unset" in the SDK
    accepted, sent = sdk_accepts(name, value)
    if not accepted:
        assert record_problems(**{name: value}), f"SDK rejects {name}={value!r}, rules accept"
    else:
        sent.pop("action")
        assert not record_problems(**sent), f"SDK sends {sent}, rules reject it"
        if not isinstance(value, bool) and type(value) is type(sent.get(name)):
            # same JSON type, no coercion by pydantic: the verdicts must match exactly
            assert not record_problems(**{name: value})


def test_the_sdk_is_looser_where_the_rules_say_so():
    assert sdk_accepts("eventMethod", "PATCH")[0]
    assert record_problems(eventMethod="PATCH")
    assert sdk_accepts("eventUrl", ["nope"])[0]
    assert record_problems(eventUrl=["nope"])
    assert "transcription" not in sdk_accepts("transcription", {"language": "en-US"})[1]
    assert not record_problems(transcription={"language": "en-US"})


def test_more_than_two_channels_default_to_wav_and_refuse_explicit_mp3():
    split = {"split": "conversation", "channels": assumptions.MP3_MAX_CHANNELS + 1}
    assert not record_problems(**split)
    assert rules.record_format({"action": "record", **split}) == "wav"
    assert rules.record_format({"action": "record", "split": "conversation"}) == "mp3"
    (problem,) = record_problems(**split, format="mp3")
    assert problem.parameter == "channels" and "'wav' or 'ogg'" in problem.message
    assert not record_problems(**split, format="ogg")


def test_blocking_is_exactly_the_three_end_conditions():
    assert set(rules.BLOCKING_PARAMS) == {"endOnSilence", "timeOut", "endOnKey"}
    assert not rules.is_blocking({"action": "record", "beepStart": True, "format": "wav"})
    for name, value in [("endOnSilence", 3), ("timeOut", 60), ("endOnKey", "#")]:
        action = {"action": "record", name: value}
        assert rules.is_blocking(action)
        assert name in rules.blocking_reason(action)


def test_validate_reports_every_problem_at_once_with_what_is_allowed():
    problems = rules.validate([
        {"action": "record", "endOnSilence": 11, "format": "flac", "timeout": 5},
        {"action": "talk"},
        {"action": "dance"},
    ])
    found = {(p.index, p.parameter) for p in problems}
    assert found == {(0, "endOnSilence"), (0, "format"), (0, "timeout"), (1, "text"),
                     (2, "action")}
    by_param = {p.parameter: p for p in problems}
    assert "3 to 10" in by_param["endOnSilence"].allowed
    assert "you gave 11" in by_param["endOnSilence"].message
    assert "Did you mean 'timeOut'" in by_param["timeout"].message


@pytest.mark.parametrize("bad, words", [
    ("[{", "not valid JSON"), ({"action": "record"}, "wrap this action in [ ]"),
    (42, "must be a list"), ([], "empty"), (["record"], "must be an object"),
])
def test_bad_shapes_get_a_sentence_not_a_traceback(bad, words):
    problems = rules.validate(bad)
    assert problems and words in problems[0].message


def test_bargein_needs_a_following_input():
    assert rules.validate([{"action": "talk", "text": "hi", "bargeIn": True}])
    assert not rules.validate([{"action": "talk", "text": "hi", "bargeIn": True},
                               {"action": "input", "type": ["dtmf"]}])


def test_explain_says_what_is_recorded_and_what_ends_it():
    whole = rules.explain([{"action": "record"}, {"action": "talk", "text": "Hello"}])
    assert "as soon as the call is answered" in whole and "until the call ends" in whole
    rest = rules.explain([{"action": "talk", "text": "Leave a message"}, {"action": "record"}])
    assert "only after talk" in rest and "until the caller hangs up" in rest
    partial = rules.explain([{"action": "record", "endOnKey": "#", "split": "conversation"},
                             {"action": "talk", "text": "Bye"}])
    assert "presses #" in partial and "2 channels" in partial
    assert "not valid" in rules.explain([{"action": "record", "timeOut": 1}])
    assert "Nothing is recorded" in rules.explain([{"action": "talk", "text": "hi"}])


def test_every_assumption_label_names_a_constant_and_says_what_the_docs_say():
    for name in assumptions.LABELS:
        assert hasattr(assumptions, name), name
        text = assumptions.label(name)
        assert text.startswith(f"Lab assumption ({name}): ") and "; the docs say " in text
        assert text.endswith(".") and "\n" not in text


def test_explain_labels_record_last_as_a_lab_assumption_and_quotes_the_reference():
    text = rules.explain([{"action": "talk", "text": "Leave a message"}, {"action": "record"}])
    assert assumptions.label("RECORD_LAST_HOLDS_CALL") in text
    assert "When all the actions in the NCCO are complete, the Call ends" in text
    # a record that is not last rests on no assumption: no label
    assert "Lab assumption" not in rules.explain([{"action": "record"},
                                                  {"action": "talk", "text": "Hello"}])


def test_explain_labels_the_other_assumptions_it_rests_on():
    no_timeout = rules.explain([{"action": "record", "endOnKey": "#"},
                                {"action": "talk", "text": "Bye"}])
    assert assumptions.label("DEFAULT_RECORD_TIMEOUT") in no_timeout
    assert "Lab assumption" not in rules.explain([{"action": "record", "timeOut": 30},
                                                  {"action": "talk", "text": "Bye"}])
    no_split = rules.explain([{"action": "record", "channels": 2},
                              {"action": "talk", "text": "Bye"}])
    assert assumptions.label("CHANNELS_NEED_SPLIT") in no_split
    mp3 = rules.validate([{"action": "record", "format": "mp3", "split": "conversation",
                           "channels": 4}])
    assert assumptions.label("MP3_MAX_CHANNELS") in mp3[0].message


def test_the_record_table_labels_the_rows_that_rest_on_an_assumption():
    rows = {row["parameter"]: row for row in rules.record_table()}
    assert rows["timeOut"]["lab assumption"] == assumptions.label("DEFAULT_RECORD_TIMEOUT")
    assert rows["channels"]["lab assumption"] == assumptions.label("CHANNELS_NEED_SPLIT")
    assert rows["format"]["lab assumption"] == assumptions.label("MP3_MAX_CHANNELS")
    assert rows["endOnKey"]["lab assumption"] == ""


def test_docs_table_comes_from_the_rules():
    rows = {row["parameter"]: row for row in rules.record_table()}
    assert list(rows) == list(rules.RECORD_PARAMS)
    assert rows["timeOut"]["blocks the NCCO"] == "yes"
    assert str(assumptions.DEFAULT_RECORD_TIMEOUT) in rows["timeOut"]["default"]
    assert rows["format"]["default"].startswith(repr(assumptions.DEFAULT_FORMAT))


@pytest.fixture(scope="module")
def vonage_schema():
    if not SPEC.is_file():
        pytest.skip(f"Vonage's published NCCO schema is not beside the checkout ({SPEC})")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SPEC.read_text())
    return jsonschema.Draft7Validator(schema)


#: The published schema (2021) predates these; the SDK and current docs have them.
NEWER_THAN_SCHEMA = {("format", "ogg"), ("channels", 2)}


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(["format", "split", "endOnSilence", "endOnKey", "timeOut",
                             "beepStart", "eventMethod", "eventUrl"]), value=json_values)
def test_rules_agree_with_vonages_published_schema(vonage_schema, name, value):
    if value is None or any(name == n and value == v for n, v in NEWER_THAN_SCHEMA):
        return
    if name == "eventUrl" and isinstance(value, list) and len(value) != 1:
        return  # the schema allows any number of URLs; Vonage uses the first (rules: one)
    ncco = [{"action": "record", name: value}]
    # "7200" and "false" are read as 7200 and false (assumptions.TEXT_NUMBERS_AND_BOOLEANS,
    # the PHP SDK sends them so): the schema is asked about the value they spell
    schema_ok = vonage_schema.is_valid([{"action": "record",
                                         name: rules.RECORD_PARAMS[name].native(value)}])
    assert schema_ok == (not rules.validate(ncco)), f"{name}={value!r}: schema {schema_ok}"


def test_setting_reads_defaults_from_the_rules():
    assert rules.setting("wait", {}, "timeout") == rules.ACTION_PARAMS["wait"]["timeout"].default
    assert rules.setting("wait", {"timeout": 2}, "timeout") == 2
    dtmf = rules.ACTION_PARAMS["input"]["dtmf"].fields
    assert rules.setting("input", {}, "dtmf.maxDigits") == dtmf["maxDigits"].default
    assert rules.setting("input", {"dtmf": {"maxDigits": 1}}, "dtmf.maxDigits") == 1


# --- forms outside clients send (issues 9 and 10) -------------------------------------------

def test_numbers_and_booleans_sent_as_text_are_read_like_the_php_sdk_sends_them():
    php = [{"action": "record", "timeOut": "7200", "beepStart": "false", "endOnSilence": "3",
            "eventUrl": ["https://example.com/rec"]}]
    assert rules.validate(php) == []
    assert rules.normalise(php)[0] == {"action": "record", "timeOut": 7200, "beepStart": False,
                                       "endOnSilence": 3, "eventUrl": ["https://example.com/rec"]}
    assert rules.validate([{"action": "conversation", "name": "x", "record": "true"}]) == []
    assert rules.validate([{"action": "stream", "streamUrl": ["https://x/a.mp3"],
                            "level": "-0.5"}]) == []
    for bad in ("7200 ", "1e3", "٧٢٠٠", "yes", "True"):  # only plain ASCII text is read
        assert rules.validate([{"action": "record", "timeOut": bad, "beepStart": bad}])
    assert rules.validate([{"action": "record", "timeOut": "2"}])  # still range-checked


def test_null_means_not_given_and_a_required_null_is_missing():
    assert assumptions.NULL_MEANS_ABSENT
    assert rules.validate([{"action": "record", "eventUrl": None, "timeOut": None}]) == []
    assert rules.normalise([{"action": "record", "eventUrl": None}]) == [{"action": "record"}]
    assert not rules.is_blocking({"action": "record", "timeOut": None})
    [problem] = rules.validate([{"action": "talk", "text": None}])
    assert problem.parameter == "text" and "needs text" in problem.message
    assert [(i, n) for i, n, *_ in rules.loose_values(
        [{"action": "record", "eventUrl": None, "timeOut": "60"}])] == [(0, "eventUrl"),
                                                                        (0, "timeOut")]


def test_the_current_reference_forms_are_accepted():
    ok = [
        [{"action": "connect", "randomFromNumber": True,
          "advancedMachineDetection": {"behavior": "continue", "mode": "detect_beep",
                                       "beep_timeout": 45},
          "endpoint": [{"type": "phone", "number": "447700900001"}]}],
        [{"action": "conversation", "name": "room", "canSpeak": ["leg-a"], "canHear": []}],
        [{"action": "talk", "text": "hi"}, {"action": "transfer", "conversationId": "CON-1",
                                            "canHear": ["leg-a"], "mute": "false"}],
        [{"action": "input", "type": ["dtmf"], "mode": "asynchronous",
          "eventUrl": ["https://example.com/keys"]}],
        [{"action": "connect", "endpoint": [{"type": "sip", "uri": "sip:a@example.com"}]}],
        [{"action": "connect", "endpoint": [{"type": "app", "user": "jamie"}]}],
    ]
    for ncco in ok:
        assert rules.validate(ncco) == [], ncco
        assert "not valid" not in rules.explain(ncco)


def test_bargein_stays_on_through_talk_and_stream_until_an_input():
    prompt = [{"action": "talk", "text": "Menu", "bargeIn": True},
              {"action": "stream", "streamUrl": ["https://x/a.mp3"]},
              {"action": "talk", "text": "Press a key", "bargeIn": "false"},
              {"action": "input", "type": ["dtmf"]}]
    assert rules.validate(prompt) == []
    [problem] = rules.validate(prompt[:3] + [{"action": "record"}])
    assert problem.index == 0 and "not a talk or stream must be an input" in problem.message


@pytest.mark.parametrize("ncco, parameter, says", [
    ([{"action": "connect", "endpoint": [{"type": "sip"}]}], "endpoint", "needs uri"),
    ([{"action": "connect", "endpoint": [{"type": "sip", "uri": "https://x"}]}], "endpoint",
     "starting sip: or sips:"),
    ([{"action": "connect", "endpoint": [{"type": "websocket"}]}], "endpoint", "needs uri"),
    ([{"action": "connect", "endpoint": [{"type": "phone", "number": "٤٤٧٧٠٠٩٠٠٠٠١"}]}],
     "endpoint", "digits 0-9"),
    ([{"action": "connect", "endpoint": [{"type": "phone", "number": "44770090000123456"}]}],
     "endpoint", "7 to 15"),
    ([{"action": "connect", "from": "447700900000", "randomFromNumber": True,
       "endpoint": [{"type": "phone", "number": "447700900001"}]}], "randomFromNumber",
     "not both"),
    ([{"action": "conversation", "name": "x", "mute": True, "canSpeak": ["a"]}], "mute",
     "cannot be combined with canSpeak"),
    ([{"action": "conversation", "name": "x", "canSpeak": "leg-a"}], "canSpeak", "list of"),
    ([{"action": "transfer"}], "conversationId", "needs conversationId"),
    ([{"action": "input", "type": ["dtmf"], "mode": "asynchronous", "dtmf": {"maxDigits": 2}}],
     "dtmf", "left out"),
    ([{"action": "input", "type": ["dtmf"], "mode": "later"}], "mode", "asynchronous"),
    ([{"action": "connect", "advancedMachineDetection": {"beep_timeout": 5},
       "endpoint": [{"type": "phone", "number": "447700900001"}]}],
     "advancedMachineDetection.beep_timeout", "from 30 to 120"),
])
def test_bad_forms_name_the_parameter(ncco, parameter, says):
    problems = rules.validate(ncco)
    assert [p.parameter for p in problems] == [parameter], problems
    assert says in problems[0].message
