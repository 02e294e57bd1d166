"""The lesson widgets, driven without a browser: every control comes from the rules table."""

from __future__ import annotations

import html
import re
import sys

import ipywidgets as w
import pytest

import helpers
from helpers import rules
from helpers.callees import PERSONAS
from helpers.widgets import (
    UNSET,
    ActionForm,
    CalleeEditor,
    CallRunner,
    NccoBuilder,
    RecordForm,
    playground,
    record_form_demo,
)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PRESSES_HASH, TALKER = "447700900002", "447700900001"


def walk(widget):
    """Every widget inside `widget`, depth first."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def controls(table, kind):
    """(param, control) for every parameter of `kind`, nested tables included."""
    for action, params in table.items():
        form = ActionForm(action)
        for name, param in params.items():
            row = form.rows[name]
            if param.kind == kind:
                yield param, row.control
            for sub_name, sub in param.fields.items():
                if sub.kind == kind and param.fields:
                    yield sub, row.control.rows[sub_name].control


# --- the record form ---------------------------------------------------------------------

def test_record_form_starts_with_nothing_set():
    form = RecordForm()
    assert form.action == {"action": "record"}
    assert all(not row.include.value for row in form.rows.values())


def test_record_form_builds_the_action_from_controls():
    form = RecordForm()
    rows = form.rows
    rows["format"].control.value = "wav"
    rows["split"].control.value = "conversation"
    rows["channels"].control.value = "3"
    rows["endOnKey"].control.value = "#"
    rows["beepStart"].control.value = "true"
    rows["eventUrl"].control.value = "https://example.com/recordings"
    rows["timeOut"].control.value = "60"
    assert form.action == {"action": "record", "format": "wav", "split": "conversation",
                           "channels": 3, "endOnKey": "#", "timeOut": 60, "beepStart": True,
                           "eventUrl": ["https://example.com/recordings"]}
    assert rules.validate([form.action]) == []


def test_include_toggle_adds_and_removes_a_parameter():
    form = RecordForm()
    row = form.rows["format"]
    row.include.value = True
    assert form.action["format"] == rules.RECORD_PARAMS["format"].default
    row.include.value = False
    assert "format" not in form.action and row.control.value == UNSET
    form.rows["endOnSilence"].include.value = True
    assert form.action["endOnSilence"] == rules.RECORD_PARAMS["endOnSilence"].minimum


def test_channels_apply_only_with_split():
    form = RecordForm()
    channels = form.rows["channels"]
    assert channels.include.disabled and channels.control.disabled
    form.rows["split"].control.value = "conversation"
    assert not channels.include.disabled and not channels.control.disabled
    channels.control.value = "4"
    assert form.action["channels"] == 4
    form.rows["split"].control.value = UNSET
    assert channels.control.disabled and "channels" not in form.action


def test_transcription_fields_apply_only_when_transcription_is_included():
    form = RecordForm()
    sub = form.rows["transcription"].control
    assert all(row.include.disabled for row in sub.rows.values())
    form.rows["transcription"].include.value = True
    assert not any(row.include.disabled for row in sub.rows.values())
    sub.rows["sentimentAnalysis"].control.value = "true"
    sub.rows["language"].control.value = "en-GB"
    assert form.action == {"action": "record", "transcription": {
        "language": "en-GB", "sentimentAnalysis": True}}


def test_ranges_and_choices_come_from_the_rules():
    ints = list(controls(rules.ACTION_PARAMS, "int"))
    assert {p.name for p, _ in ints} >= {"channels", "endOnSilence", "timeOut"}
    for param, control in ints + list(controls(rules.ACTION_PARAMS, "number")):
        assert isinstance(control, w.Text) and control.value == "", param.name  # never clamps
        assert control.placeholder.startswith("unset"), param.name
        assert param.allowed() in control.tooltip, param.name
    for kind in ("choice", "method"):
        for param, control in controls(rules.ACTION_PARAMS, kind):
            assert control.options == (UNSET, *param.choices), param.name
    for _param, control in controls(rules.ACTION_PARAMS, "key"):
        assert control.options == (UNSET, *rules.KEYS)
    for name, param in rules.RECORD_PARAMS.items():
        row = RecordForm().rows[name]
        assert row.include.description == name
        assert param.allowed() in html.unescape(row.note.value)
        assert param.summary in html.unescape(row.note.value)  # the help is visible, not a tooltip
        if not param.fields:
            assert param.summary in row.control.tooltip


def test_set_loads_an_action_and_round_trips():
    action = {"action": "record", "format": "ogg", "split": "conversation", "channels": 2,
              "endOnSilence": 5, "endOnKey": "*", "timeOut": 300, "beepStart": False,
              "eventUrl": ["https://example.com/r"], "eventMethod": "GET",
              "transcription": {"language": "de-DE", "sentimentAnalysis": True}}
    form = RecordForm()
    form.set(action)
    assert form.action == action
    assert form.rows["endOnSilence"].control.value == "5"
    form.set({"action": "record"})
    assert form.action == {"action": "record"}


def test_values_the_controls_cannot_hold_are_kept_for_the_validator():
    form = RecordForm({"action": "record", "endOnSilence": 99, "endonkey": "#"})
    assert form.action == {"action": "record", "endOnSilence": 99, "endonkey": "#"}
    form.rows["endOnSilence"].control.value = "4"  # touching the row replaces the raw value
    assert form.action["endOnSilence"] == 4


def test_an_out_of_range_number_is_kept_and_shown_as_invalid():
    """The builder never changes what the trainee typed: it says why the value is refused."""
    builder = NccoBuilder(ncco=[{"action": "record"}])
    row = builder.forms[0].rows["timeOut"]
    row.control.value = "99999"
    message = rules.RECORD_PARAMS["timeOut"].check(99999)
    assert builder.ncco == [{"action": "record", "timeOut": 99999}]
    assert row.include.value and row.control.value == "99999"
    assert message in html.unescape(row.note.value) and "color:#c62828" in row.note.value
    assert message in html.unescape(builder.problems_html.value)
    assert "Valid NCCO" not in builder.problems_html.value
    row.control.value = "1"
    assert builder.ncco[0]["timeOut"] == 1
    assert rules.RECORD_PARAMS["timeOut"].check(1) in html.unescape(builder.problems_html.value)
    row.control.value = "120"
    assert builder.ncco[0]["timeOut"] == 120 and "Valid NCCO" in builder.problems_html.value
    assert rules.RECORD_PARAMS["timeOut"].summary in html.unescape(row.note.value)


def test_an_out_of_range_value_loaded_into_the_form_is_shown_as_given():
    form = RecordForm({"action": "record", "endOnSilence": 42, "timeOut": 2.5})
    assert form.rows["endOnSilence"].control.value == "42"
    assert form.action == {"action": "record", "endOnSilence": 42, "timeOut": 2.5}
    assert "you gave 42" in html.unescape(form.rows["endOnSilence"].note.value)


def test_text_in_a_number_box_goes_to_the_validator():
    form = RecordForm()
    form.rows["endOnSilence"].control.value = "three"
    assert form.action == {"action": "record", "endOnSilence": "three"}
    assert rules.validate([form.action])[0].message == \
        rules.RECORD_PARAMS["endOnSilence"].check("three")


def test_unset_number_boxes_look_unset():
    """An unticked box is empty with a placeholder, never a number that is not the default."""
    form = RecordForm()
    for name in ("timeOut", "endOnSilence", "channels"):
        control = form.rows[name].control
        assert control.value == "" and control.placeholder.startswith("unset"), name
    form.rows["timeOut"].control.value = "60"
    form.rows["timeOut"].control.value = ""  # clearing the box unsets the parameter
    assert "timeOut" not in form.action and not form.rows["timeOut"].include.value
    form.rows["timeOut"].include.value = True
    form.rows["timeOut"].include.value = False
    assert form.rows["timeOut"].control.value == ""


def test_on_change_fires_on_every_change():
    seen = []
    form = RecordForm(on_change=lambda f: seen.append(dict(f.action)))
    form.rows["endOnKey"].control.value = "#"
    form.rows["format"].control.value = "wav"
    assert seen[-1] == {"action": "record", "format": "wav", "endOnKey": "#"}
    assert len(seen) >= 2


def test_record_form_demo_shows_json_and_blocking():
    demo = record_form_demo()
    demo.form.rows["timeOut"].control.value = "30"
    text = " ".join(getattr(c, "value", "") for c in demo.children if isinstance(c, w.HTML))
    assert "&quot;timeOut&quot;: 30" in text and "Blocking because timeOut is set" in text


# --- the NCCO builder --------------------------------------------------------------------

def test_builder_starts_from_an_ncco_and_previews_it():
    ncco = [{"action": "talk", "text": "Hello"}, {"action": "record", "endOnKey": "#"},
            {"action": "wait", "timeout": 2}]
    builder = NccoBuilder(ncco=ncco)
    assert builder.ncco == ncco
    assert "<pre" in builder.preview.value and "&quot;endOnKey&quot;" in builder.preview.value
    assert "Valid NCCO" in builder.problems_html.value
    assert builder.accordion.titles == ("0: talk", "1: record (blocking)", "2: wait")


def test_invalid_values_show_the_rules_message():
    builder = NccoBuilder(ncco=[{"action": "record", "endOnSilence": 99}])
    expected = rules.RECORD_PARAMS["endOnSilence"].check(99)
    assert expected in builder.problems_html.value
    assert "color:#c62828" in builder.problems_html.value
    form = builder.forms[0]
    form.rows["endOnSilence"].include.value = False
    form.rows["eventUrl"].control.value = "ftp://example.com"
    message = rules.RECORD_PARAMS["eventUrl"].check(["ftp://example.com"])
    assert message.split(";")[0] in builder.problems_html.value.replace("&quot;", '"')


def test_blocking_line_follows_the_rules():
    builder = NccoBuilder(ncco=[{"action": "record", "endOnKey": "#"}])
    assert builder.blocking_lines[0].startswith("Action 0 (record): Blocking because endOnKey")
    assert "Blocking because endOnKey is set" in builder.explanation.value
    builder.forms[0].rows["endOnKey"].include.value = False
    assert "Not blocking" in builder.blocking_lines[0]
    assert "Not blocking" in builder.explanation.value


def test_add_remove_and_reorder():
    builder = NccoBuilder()
    assert builder.ncco == [] and "empty" in builder.problems_html.value
    builder.add("talk").rows["text"].control.value = "Please leave a message"
    builder.add("record")
    builder.add("wait")
    assert [a["action"] for a in builder.ncco] == ["talk", "record", "wait"]
    builder.move_up(1)
    assert [a["action"] for a in builder.ncco] == ["record", "talk", "wait"]
    builder.move_down(1)
    builder.move_up(0)  # already first: stays
    assert [a["action"] for a in builder.ncco] == ["record", "wait", "talk"]
    builder.remove(1)
    assert builder.ncco == [{"action": "record"},
                            {"action": "talk", "text": "Please leave a message"}]
    assert len(builder.accordion.children) == 2 and repr(builder) == \
        "<NCCO builder: 2 actions, valid>"


def test_add_button_uses_the_kind_dropdown():
    builder = NccoBuilder()
    assert builder.kind.options == tuple(rules.ACTION_PARAMS)
    builder.kind.value = "input"
    builder.add_button.click()
    assert builder.ncco == [{"action": "input", "type": []}]  # required: included, then checked
    assert "type must be" in builder.problems_html.value


def test_unknown_actions_and_names_are_kept_for_the_validator():
    builder = NccoBuilder(ncco=[{"action": "recrod"}, {"action": "record", "EndOnKey": "#"}])
    assert builder.ncco == [{"action": "recrod"}, {"action": "record", "EndOnKey": "#"}]
    assert "Did you mean" in builder.problems_html.value


def test_builder_callbacks_fire():
    seen = []
    builder = NccoBuilder(ncco=[{"action": "record"}], on_change=lambda b: seen.append(b.ncco))
    builder.forms[0].rows["beepStart"].control.value = "true"
    assert seen[-1] == [{"action": "record", "beepStart": True}]


# --- the callee editor -------------------------------------------------------------------

def test_callee_editor_personas():
    editor = CalleeEditor(PRESSES_HASH)
    assert len(editor.persona.options) == len(PERSONAS)
    assert editor.number == PRESSES_HASH
    assert editor.script_json == PERSONAS[PRESSES_HASH].as_json()
    assert PERSONAS[PRESSES_HASH].description in editor.persona_note.value
    assert editor.problems == []


def test_custom_script_starts_from_the_persona_and_edits():
    editor = CalleeEditor(PRESSES_HASH)
    editor.mode.value = "custom script"
    assert editor.number != PRESSES_HASH and editor.number.isdigit()
    assert [list(s)[0] for s in editor.script_json["script"]] == \
        [list(s)[0] for s in PERSONAS[PRESSES_HASH].script]
    while editor.steps:
        editor.remove_step(0)
    editor.add_step({"speak": 2, "text": "hi"})
    editor.add_step()
    editor.steps[1].kind.value = "press"
    editor.steps[1].digits.value = "12#"
    editor.add_step({"hangup": True})
    editor.never.value = True
    assert editor.script_json == {"answer_after": None, "script": [
        {"speak": 2, "text": "hi"}, {"press": "12#"}, {"hangup": True}]}
    assert "Script OK" in editor.errors.value


def test_callee_editor_shows_script_errors_as_sentences():
    editor = CalleeEditor()
    editor.mode.value = "custom script"
    editor.add_step({"press": "x"})
    editor.answer_after.value = 500
    step = len(editor.steps)
    assert f"Step {step}: press must be keys" in " ".join(editor.problems)
    assert any(p.startswith("answer_after must be seconds") for p in editor.problems)
    assert f"Step {step}: press must be keys" in editor.errors.value
    with pytest.raises(ValueError, match="not valid"):
        editor.apply(None)


# --- placing calls -----------------------------------------------------------------------

def blocking_call(lab, tmp_path, number=PRESSES_HASH, **options):
    builder = NccoBuilder(ncco=[{"action": "record", "endOnKey": "#"},
                                {"action": "talk", "text": "Thanks"}])
    return CallRunner(lab, builder, CalleeEditor(number), folder=tmp_path, **options)


def test_place_call_fills_the_results_panel(lab, tmp_path):
    runner = blocking_call(lab, tmp_path)
    result = runner.place_call()
    assert result is not None and runner.error == []
    assert result.final_status["status"] == "completed"
    assert "<table" in runner.event_table.value and "record" in runner.event_table.value
    assert "recording_uuid=" in runner.event_table.value
    assert not UUID.search(runner.event_table.value)  # shortened
    audio = [c for c in walk(runner.results) if isinstance(c, w.Audio)]
    assert len(audio) == 1 and audio[0].value == result.files[0].read_bytes()
    assert len(audio[0].value) > 0
    assert "Blocking because endOnKey" in runner.explanation.value
    assert "what ended it: endOnKey #" in runner.explanation.value
    assert runner.status.value.startswith("done in")
    assert runner.figures.children  # pictures, or a sentence saying why not
    assert repr(runner) == "<Call runner: last call completed, 1 recording(s)>"


def test_button_click_places_the_call(lab, tmp_path):
    runner = blocking_call(lab, tmp_path)
    runner.button.click()
    assert runner.result is not None and not runner.button.disabled


def test_custom_callee_is_applied(lab, tmp_path):
    runner = blocking_call(lab, tmp_path)
    editor = runner.callee_editor
    editor.mode.value = "custom script"
    editor.custom_number.value = "447700900077"
    while editor.steps:
        editor.remove_step(0)
    editor.add_step({"silence": 1})
    editor.add_step({"press": "#"})
    editor.add_step({"silence": 1})
    editor.add_step({"hangup": True})
    result = runner.place_call()
    assert result is not None, runner.error
    assert result.to == "447700900077"
    assert "what ended it: endOnKey #" in runner.explanation.value


def test_invalid_ncco_shows_a_sentence_instead_of_raising(lab, tmp_path):
    runner = CallRunner(lab, NccoBuilder(ncco=[{"action": "record", "endOnSilence": 99}]),
                        CalleeEditor(TALKER), folder=tmp_path)
    assert runner.place_call() is None
    assert runner.error[0] == "The call was not placed: the NCCO is not valid."
    assert rules.RECORD_PARAMS["endOnSilence"].check(99) in runner.error[1]
    assert "Traceback" not in runner.message.value
    assert repr(runner) == "<Call runner: call not placed>"


def test_api_errors_show_invalid_parameters(lab, tmp_path):
    # transcription makes the lab send plain JSON, so the simulator itself checks the body
    builder = NccoBuilder(ncco=[{"action": "record", "transcription": {}}])
    runner = CallRunner(lab, builder, CalleeEditor(TALKER), folder=tmp_path, ringing_timer=500)
    assert runner.place_call() is None
    assert runner.error[0].startswith("The API refused the call")
    assert any(line.startswith("ringing_timer: ringing_timer must be") for line in runner.error)


def test_timeouts_show_a_sentence(lab, tmp_path, monkeypatch):
    def slow(*_args, **_kwargs):
        raise TimeoutError("No record event arrived within 1 s.")

    monkeypatch.setattr("helpers.calls.run_call", slow)
    runner = blocking_call(lab, tmp_path)
    assert runner.place_call() is None
    assert runner.error == ["The call did not finish in time.",
                            "No record event arrived within 1 s."]


def test_missing_plots_degrade_to_a_sentence(lab, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "helpers.plots", None)
    monkeypatch.delattr(helpers, "plots", raising=False)
    runner = blocking_call(lab, tmp_path)
    assert runner.place_call() is not None
    assert "Plots are not available" in runner.figures.children[0].value


def test_figures_are_rendered_to_png(lab, tmp_path, monkeypatch):
    from types import ModuleType

    from matplotlib.figure import Figure

    fake = ModuleType("helpers.plots")
    fake.plot_timeline = lambda timeline: Figure()
    fake.plot_waveform = lambda path, timeline=None: 1 / 0
    monkeypatch.setitem(sys.modules, "helpers.plots", fake)
    monkeypatch.setattr(helpers, "plots", fake, raising=False)
    runner = blocking_call(lab, tmp_path)
    runner.place_call()
    timeline_png, waveform_note = runner.figures.children
    assert isinstance(timeline_png, w.Image) and timeline_png.value[:4] == b"\x89PNG"
    assert "The waveform could not be drawn" in waveform_note.value


# --- reprs for stored notebook outputs ---------------------------------------------------

def test_top_level_reprs_are_short_and_deterministic(lab, tmp_path):
    box = playground(lab, ncco=[{"action": "record", "endOnKey": "#"}], number=PRESSES_HASH,
                     folder=tmp_path)
    box.runner.place_call()
    widgets = [box, box.builder, box.callee_editor, box.runner, record_form_demo(),
               RecordForm(), ActionForm("talk")]
    for widget in widgets:
        text = repr(widget)
        assert len(text) < 80 and not UUID.search(text) and "model_id" not in text, text
    assert repr(box) == "<Recording playground>"
    assert repr(box.builder) == "<NCCO builder: 1 action, valid>"
    assert repr(box.callee_editor) == "<Callee editor: persona 447700900002 (presses-hash)>"
