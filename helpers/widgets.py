"""Widgets for the lessons: build an NCCO, script the callee, place a test call, see the result.

Every control is generated from `rules.RECORD_PARAMS` / `rules.ACTION_PARAMS`: ranges, choices,
defaults and help texts are read from there, never typed here. Top-level widgets have short
reprs so notebooks that store outputs stay deterministic.
"""

from __future__ import annotations

import html
import io
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w

from . import calls, rules
from .simulator.callees import PERSONAS, ScriptError, parse_callee

UNSET = "(unset)"
SLIDER_SPAN = 100  # an int range this narrow gets a slider, a wider one a number box
STEP_KINDS = ("speak", "silence", "press", "hangup")  # the callee script format
EVENT_FIELDS = ("recording_uuid", "size", "start_time", "end_time", "dtmf", "reason",
                "duration", "detail")
UUID = re.compile(r"\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
ISO = re.compile(r"\b\d{4}-\d\d-\d\dT([\d:.]+)Z\b")
GREEN, RED, GREY = "#1a7f37", "#c62828", "#666"


def _short(text: Any) -> str:
    """UUIDs cut to 8 characters and ISO times to the clock, for tables a trainee can read."""
    return ISO.sub(r"\1", UUID.sub(r"\1…", str(text)))


def _pre(text: str) -> str:
    return f"<pre style='margin:0;white-space:pre-wrap'>{html.escape(text)}</pre>"


def _lines(items: list[str], colour: str) -> str:
    return "".join(f"<div style='color:{colour}'>{html.escape(i)}</div>" for i in items)


def _shown(widget: w.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


def _make_control(param: rules.Param) -> w.Widget:
    """The control for one parameter, its range, choices and help read from the Param."""
    tip = f"{param.summary} Allowed: {param.allowed()}. Default: {param.default_text()}."
    kw = {"tooltip": tip, "layout": w.Layout(width="280px")}
    kind = param.kind
    if kind in ("int", "number"):
        start = param.default if param.default is not None else param.minimum
        if kind == "number":
            return w.BoundedFloatText(min=param.minimum, max=param.maximum, step=0.1,
                                      value=start, **kw)
        wide = param.maximum - param.minimum > SLIDER_SPAN
        return (w.BoundedIntText if wide else w.IntSlider)(
            min=int(param.minimum), max=int(param.maximum), value=int(start), **kw)
    if kind in ("choice", "method", "key"):
        options = rules.KEYS if kind == "key" else param.choices
        return w.Dropdown(options=(UNSET, *options), value=UNSET, **kw)
    if kind == "bool":
        return w.ToggleButtons(options=(UNSET, "true", "false"), value=UNSET,
                               style={"button_width": "70px"}, **kw)
    if kind == "list":
        return w.SelectMultiple(options=param.choices, rows=len(param.choices), **kw)
    if kind == "object" and param.fields:
        return ParamForm(param.fields)
    return w.Text(placeholder=param.allowed(), **kw)  # text, url_list, endpoint, object


class _Row:
    """One parameter: an "include" toggle, its control and what it accepts."""

    def __init__(self, param: rules.Param, form: ParamForm):
        self.param, self.form = param, form
        self.include = w.Checkbox(value=False, description=param.name, indent=False,
                                  tooltip=param.summary, layout=w.Layout(width="150px"))
        self.control = _make_control(param)
        self.unset_option = UNSET in getattr(self.control, "options", ())
        blocks = " · blocks the NCCO" if param.blocking else ""
        self.note = w.HTML(f"<small style='color:{GREY}'>{html.escape(param.allowed())}"
                           f"{blocks}</small>")
        if isinstance(self.control, ParamForm):
            self.control.on_change(lambda _form: self._touched())
            self.box = w.VBox([w.HBox([self.include, self.note]), self.control])
            self.control.layout.margin = "0 0 0 24px"
        else:
            self.control.observe(lambda _c: self._touched(), "value")
            self.box = w.HBox([self.include, self.control, self.note])
        self.include.observe(lambda _c: self._toggled(), "value")

    def _touched(self) -> None:  # the trainee changed the value: it is meant to be sent
        if self.form._loading:
            return
        self.form.raw.pop(self.param.name, None)
        if self.unset_option and self.control.value == UNSET:
            self.include.value = False
        elif not self.include.value:
            self.include.value = True
        self.form._changed()

    def _toggled(self) -> None:
        if self.form._loading:
            return
        self.form.raw.pop(self.param.name, None)
        if self.unset_option:
            options = self.control.options
            if not self.include.value:
                self.control.value = UNSET
            elif self.control.value == UNSET:
                default = self.param.default
                self.control.value = default if default in options else options[1]
        self.form._changed()

    def read(self) -> Any:
        value, kind = self.control.value, self.param.kind
        if kind == "number":
            return int(value) if value == int(value) else value
        if kind == "bool":
            return value == "true"
        if kind == "list":
            return list(value)
        if kind == "url_list":
            return [value.strip()]
        if kind == "endpoint":
            return [{"type": "phone", "number": value.strip()}]
        if kind == "object" and not self.param.fields:
            try:
                return json.loads(value) if value.strip() else {}
            except json.JSONDecodeError:
                return value  # the rules then say it must be an object
        return value

    def write(self, value: Any) -> bool:
        """Show `value` in the control; False when the control cannot hold it."""
        kind, control = self.param.kind, self.control
        if self.param.check(value) is not None:
            return False
        if kind == "object" and self.param.fields:
            control.set(value)
        elif kind == "bool":
            control.value = "true" if value else "false"
        elif kind == "list":
            control.value = tuple(value)
        elif kind == "url_list":
            control.value = value[0]
        elif kind == "endpoint":
            if set(value[0]) != {"type", "number"} or value[0]["type"] != "phone":
                return False
            control.value = value[0]["number"]
        elif kind == "object":
            control.value = json.dumps(value)
        else:
            control.value = value
        return True


class ParamForm(w.VBox):
    """Rows for a table of Params; `.value` holds only the parameters that are included."""

    def __init__(self, table: dict[str, rules.Param], depends: dict[str, str] | None = None,
                 on_change: Callable | None = None):
        self._loading, self._callbacks = False, []
        self.raw: dict[str, Any] = {}  # loaded values the controls cannot show, sent as given
        self.depends = depends or {}
        self.rows = {name: _Row(param, self) for name, param in table.items()}
        super().__init__([row.box for row in self.rows.values()])
        self.disabled = False
        if on_change:
            self.on_change(on_change)
        self._refresh()

    def on_change(self, callback: Callable) -> None:
        """Call `callback(form)` after every change."""
        self._callbacks.append(callback)

    def _changed(self) -> None:
        self._refresh()
        for callback in self._callbacks:
            callback(self)

    def applies(self, name: str) -> bool:
        needed = self.depends.get(name)
        return not self.disabled and (needed is None or self.rows[needed].include.value)

    def _refresh(self) -> None:
        for name, row in self.rows.items():
            applies = self.applies(name)
            row.include.disabled = not applies
            if isinstance(row.control, ParamForm):
                row.control.disabled = not (applies and row.include.value)
                row.control._refresh()
            else:
                row.control.disabled = not applies
            needed = self.depends.get(name)
            if needed:
                row.note.value = (f"<small style='color:{GREY}'>"
                                  f"{html.escape(row.param.allowed())}"
                                  + ("" if applies else f" · applies only when {needed} is set")
                                  + "</small>")

    @property
    def value(self) -> dict:
        chosen = {}
        for name, row in self.rows.items():
            if name in self.raw:
                chosen[name] = self.raw[name]
            elif row.include.value and self.applies(name):
                chosen[name] = row.read()
        return {**chosen, **self.raw}  # then names the rules do not know, as loaded

    def set(self, values: dict) -> None:
        """Load parameter values; ones the controls cannot show are kept and sent as given."""
        self._loading = True
        try:
            self.raw = {}
            for name, row in self.rows.items():
                row.include.value = name in values
                if row.unset_option and name not in values:
                    row.control.value = UNSET
                if name in values and not row.write(values[name]):
                    self.raw[name] = values[name]
            self._refresh()
            for name, value in values.items():
                if name not in self.rows or not self.applies(name):
                    self.raw[name] = value
        finally:
            self._loading = False
        self._changed()

    def __repr__(self) -> str:
        return f"<parameter form: {len(self.value)} set>"


class ActionForm(ParamForm):
    """The form for one NCCO action, generated from `rules.ACTION_PARAMS[kind]`."""

    def __init__(self, kind: str, action: dict | None = None, on_change: Callable | None = None):
        self.kind = kind
        table = rules.ACTION_PARAMS[kind]
        super().__init__(table, {n: p.requires for n, p in table.items() if p.requires})
        if action is not None:
            self.set(action)
        else:  # required parameters start included, so the validator says what they need
            for row in self.rows.values():
                row.include.value = row.param.required
        if on_change:
            self.on_change(on_change)

    @property
    def action(self) -> dict:
        return {"action": self.kind, **self.value}

    def set(self, action: dict) -> None:
        super().set({k: v for k, v in action.items() if k != "action"})

    def __repr__(self) -> str:
        return f"<{self.kind} form: {len(self.value)} parameters set>"


class RecordForm(ActionForm):
    """One record action, one row per `rules.RECORD_PARAMS` entry, all unset at first."""

    def __init__(self, action: dict | None = None, on_change: Callable | None = None):
        super().__init__("record", action, on_change)


class _RawAction(w.HTML):
    """An action the forms cannot edit (unknown kind, not an object): kept as given."""

    def __init__(self, body: Any):
        self.action = body
        super().__init__(f"<small>Kept as written (not editable here):</small>"
                         f"{_pre(json.dumps(body))}")


class NccoBuilder(w.VBox):
    """Add, remove and reorder actions; a live JSON preview, validation and explanation."""

    def __init__(self, ncco: Any = None, on_change: Callable | None = None):
        self._callbacks = [on_change] if on_change else []
        self.forms: list[ActionForm | _RawAction] = []
        self.kind = w.Dropdown(options=tuple(rules.ACTION_PARAMS), description="new action",
                               layout=w.Layout(width="230px"))
        self.add_button = w.Button(description="Add", icon="plus", layout=w.Layout(width="80px"))
        self.add_button.on_click(lambda _b: self.add(self.kind.value))
        self.accordion = w.Accordion(layout=w.Layout(flex="3 1 0%", min_width="0"))
        self.preview, self.problems_html, self.explanation = w.HTML(), w.HTML(), w.HTML()
        side = w.VBox([w.HTML("<b>NCCO</b>"), self.preview, self.problems_html,
                       self.explanation],
                      layout=w.Layout(flex="2 1 0%", min_width="0", margin="0 0 0 12px"))
        super().__init__([w.HBox([self.kind, self.add_button]),
                          w.HBox([self.accordion, side])])
        actions, problems = rules.parse([] if ncco is None else ncco)
        if actions is None:
            raise ValueError("; ".join(p.message for p in problems))
        for body in actions:
            self.add(body.get("action") if isinstance(body, dict) else None, body, _render=False)
        self._render()
        records = [i for i, body in enumerate(actions)
                   if isinstance(body, dict) and body.get("action") == "record"]
        if records:  # open the record action: it is what the lessons are about
            self.accordion.selected_index = records[0]

    @property
    def ncco(self) -> list:
        return [form.action for form in self.forms]

    def on_change(self, callback: Callable) -> None:
        """Call `callback(builder)` after every change."""
        self._callbacks.append(callback)

    def add(self, kind: str | None, action: dict | None = None, _render: bool = True):
        """Append an action of `kind` (optionally loaded from `action`); return its form."""
        if kind in rules.ACTION_PARAMS and isinstance(action, (dict, type(None))):
            form = ActionForm(kind, action, on_change=lambda _f: self._refresh())
        else:
            form = _RawAction(action)
        self.forms.append(form)
        if _render:
            self._render()
            self.accordion.selected_index = len(self.forms) - 1
        return form

    def remove(self, index: int) -> None:
        del self.forms[index]
        self._render()

    def move(self, index: int, delta: int) -> None:
        """Move action `index` by `delta` places (-1 up, +1 down), staying inside the list."""
        target = min(max(index + delta, 0), len(self.forms) - 1)
        self.forms.insert(target, self.forms.pop(index))
        self._render()
        self.accordion.selected_index = target

    def move_up(self, index: int) -> None:
        self.move(index, -1)

    def move_down(self, index: int) -> None:
        self.move(index, 1)

    def _card(self, form) -> w.VBox:
        def button(label: str, icon: str, act: Callable) -> w.Button:
            b = w.Button(description=label, icon=icon, layout=w.Layout(width="90px"))
            b.on_click(lambda _b: act(self.forms.index(form)))
            return b
        return w.VBox([w.HBox([button("up", "arrow-up", self.move_up),
                               button("down", "arrow-down", self.move_down),
                               button("remove", "trash", self.remove)]), form])

    def _render(self) -> None:
        self.accordion.children = [self._card(form) for form in self.forms]
        self._refresh()

    def _refresh(self) -> None:
        ncco = self.ncco
        self.accordion.titles = tuple(_title(i, body) for i, body in enumerate(ncco))
        self.preview.value = _pre(json.dumps(ncco, indent=2))
        self.problems = rules.validate(ncco)
        self.problems_html.value = _lines([str(p) for p in self.problems], RED) if \
            self.problems else f"<div style='color:{GREEN}'>Valid NCCO</div>"
        self.blocking_lines = [f"Action {i} (record): {rules.blocking_reason(body)}"
                               for i, body in enumerate(ncco)
                               if isinstance(body, dict) and body.get("action") == "record"]
        text = "" if self.problems else rules.explain(ncco)
        self.explanation.value = _lines(self.blocking_lines, "inherit") + (
            f"<div style='margin-top:6px'>{_pre(text)}</div>" if text else "")
        for callback in self._callbacks:
            callback(self)

    def __repr__(self) -> str:
        n = len(self.forms)
        state = "valid" if not rules.validate(self.ncco) else "not valid"
        return f"<NCCO builder: {n} action{'' if n == 1 else 's'}, {state}>"


def _title(index: int, body: Any) -> str:
    kind = body.get("action") if isinstance(body, dict) else None
    extra = " (blocking)" if kind == "record" and rules.is_blocking(body) else ""
    return f"{index}: {kind or 'not an action'}{extra}"


class _StepRow(w.HBox):
    """One step of a callee script."""

    def __init__(self, editor: CalleeEditor, step: dict | None = None):
        self.kind = w.Dropdown(options=STEP_KINDS, layout=w.Layout(width="100px"))
        self.seconds = w.FloatText(value=1.0, description="seconds",
                                   layout=w.Layout(width="160px"))
        self.digits = w.Text(placeholder="keys, e.g. 12#", layout=w.Layout(width="140px"))
        self.text = w.Text(placeholder="what is said (optional)", layout=w.Layout(width="260px"))
        self.remove = w.Button(icon="trash", tooltip="remove this step",
                               layout=w.Layout(width="40px"))
        self.remove.on_click(lambda _b: editor.remove_step(editor.steps.index(self)))
        super().__init__([self.kind, self.seconds, self.digits, self.text, self.remove])
        if step:
            kind = next((k for k in step if k in STEP_KINDS), "speak")
            self.kind.value = kind
            if kind in ("speak", "silence"):
                self.seconds.value = float(step[kind])
            self.digits.value = str(step.get("press", ""))
            self.text.value = str(step.get("text", ""))
        for control in (self.kind, self.seconds, self.digits, self.text):
            control.observe(lambda _c: editor._refresh(), "value")
        self._show()

    def _show(self) -> None:
        _shown(self.seconds, self.kind.value in ("speak", "silence"))
        _shown(self.digits, self.kind.value == "press")
        _shown(self.text, self.kind.value == "speak")

    @property
    def step(self) -> dict:
        kind = self.kind.value
        if kind == "hangup":
            return {"hangup": True}
        if kind == "press":
            return {"press": self.digits.value.strip()}
        seconds = self.seconds.value
        step = {kind: int(seconds) if seconds == int(seconds) else seconds}
        return {**step, "text": self.text.value} if kind == "speak" and self.text.value else step


class CalleeEditor(w.VBox):
    """Who answers the test call: a built-in persona, or a custom script."""

    def __init__(self, number: str | None = None):
        self.mode = w.ToggleButtons(options=("built-in persona", "custom script"))
        self.persona = w.Dropdown(options=[(f"{n} · {c.name}", n) for n, c in PERSONAS.items()],
                                  value=number if number in PERSONAS else next(iter(PERSONAS)),
                                  description="callee", layout=w.Layout(width="360px"))
        self.persona_note = w.HTML()
        self.custom_number = w.Text(value=str(max(int(n) for n in PERSONAS) + 1),
                                    description="number")
        self.never = w.Checkbox(description="never answers", indent=False)
        self.answer_after = w.FloatText(value=1.0, description="answers after (s)",
                                        style={"description_width": "initial"})
        self.steps: list[_StepRow] = []
        self.steps_box = w.VBox()
        add = w.Button(description="Add step", icon="plus")
        add.on_click(lambda _b: self.add_step())
        self.errors = w.HTML()
        self.custom_box = w.VBox([self.custom_number, w.HBox([self.answer_after, self.never]),
                                  self.steps_box, add, self.errors])
        self.persona_box = w.VBox([self.persona, self.persona_note])
        super().__init__([self.mode, self.persona_box, self.custom_box])
        for control in (self.persona, self.custom_number, self.never, self.answer_after):
            control.observe(lambda _c: self._refresh(), "value")
        self.mode.observe(lambda _c: self._mode_changed(), "value")
        self._refresh()

    @property
    def custom(self) -> bool:
        return self.mode.value == "custom script"

    def _mode_changed(self) -> None:
        if self.custom and not self.steps:  # start from the chosen persona's script
            callee = PERSONAS[self.persona.value]
            self.never.value = callee.answer_after is None
            if callee.answer_after is not None:
                self.answer_after.value = callee.answer_after
            for step in callee.script:
                self.add_step(step, refresh=False)
        self._refresh()

    def add_step(self, step: dict | None = None, refresh: bool = True) -> None:
        self.steps.append(_StepRow(self, step))
        if refresh:
            self._refresh()

    def remove_step(self, index: int) -> None:
        del self.steps[index]
        self._refresh()

    def _refresh(self) -> None:
        _shown(self.persona_box, not self.custom)
        _shown(self.custom_box, self.custom)
        self.steps_box.children = self.steps
        for row in self.steps:
            row._show()
        self.answer_after.disabled = self.never.value
        self.persona_note.value = f"<i>{html.escape(PERSONAS[self.persona.value].description)}</i>"
        problems = self.problems
        self.errors.value = _lines(problems, RED) if problems else (
            f"<div style='color:{GREEN}'>Script OK</div>")

    @property
    def number(self) -> str:
        return self.custom_number.value.strip() if self.custom else self.persona.value

    @property
    def script_json(self) -> dict:
        """The callee as `PUT /_sim/callees/{number}` takes it."""
        if not self.custom:
            return PERSONAS[self.persona.value].as_json()
        return {"answer_after": None if self.never.value else self.answer_after.value,
                "script": [row.step for row in self.steps]}

    @property
    def problems(self) -> list[str]:
        """What is wrong with the custom script, as sentences (empty when it is usable)."""
        if not self.custom:
            return []
        found = [] if self.number.isdigit() else ["The number must be digits only."]
        try:
            parse_callee(self.number, self.script_json)
        except ScriptError as err:
            found += [_where(p["name"]) + p["reason"] for p in err.problems]
        return found

    def apply(self, lab) -> str:
        """Send a custom script to the simulator (personas are built in); return the number."""
        if self.custom:
            if self.problems:
                raise ValueError("The callee script is not valid:\n" + "\n".join(self.problems))
            body = self.script_json
            calls.set_callee(lab, self.number, body["script"], body["answer_after"])
        return self.number

    def __repr__(self) -> str:
        if self.custom:
            return f"<Callee editor: custom script, {len(self.steps)} steps>"
        return f"<Callee editor: persona {self.persona.value} " \
               f"({PERSONAS[self.persona.value].name})>"


def _where(name: str) -> str:
    found = re.match(r"script\[(\d+)\]", name)
    return f"Step {int(found.group(1)) + 1}: " if found else ""


def _error_sentences(err: Exception) -> list[str]:
    """Any failure of a test call as sentences, never a traceback."""
    from vonage_http_client.errors import HttpRequestError

    if isinstance(err, HttpRequestError):
        try:
            body = err.response.json()
        except ValueError:
            return [f"The API answered {err.response.status_code}: {err.response.text[:200]}"]
        return [f"The API refused the call: {body.get('detail') or body.get('title')}"] + [
            f"{p.get('name')}: {p.get('reason')}" for p in body.get("invalid_parameters", [])]
    if isinstance(err, TimeoutError):
        return ["The call did not finish in time."] + str(err).splitlines()
    if isinstance(err, (ValueError, calls.RecordingDownloadError)):
        return [line.strip().removeprefix("- ") for line in str(err).splitlines()[:8]]
    return [f"Something unexpected went wrong ({type(err).__name__}): {err}"]


class CallRunner(w.VBox):
    """A "Place test call" button and a results panel: events, plots, audio, explanation."""

    STEPS = ("checking the NCCO…", "setting up the callee…",
             "placing call, waiting for events, downloading…", "drawing the results…")

    def __init__(self, lab, builder: NccoBuilder, callee_editor: CalleeEditor,
                 folder: str | Path = "recordings", **call_options: Any):
        self.lab, self.builder, self.callee_editor = lab, builder, callee_editor
        self.folder, self.call_options = folder, call_options
        self.result: calls.CallResult | None = None
        self.error: list[str] = []
        self.button = w.Button(description="Place test call", icon="phone",
                               button_style="primary", layout=w.Layout(width="180px"))
        self.button.on_click(lambda _b: self.place_call())
        self.progress = w.IntProgress(min=0, max=len(self.STEPS), layout=w.Layout(width="200px"))
        self.status = w.HTML()
        self.message, self.summary, self.event_table = w.HTML(), w.HTML(), w.HTML()
        self.figures, self.explanation = w.VBox(), w.HTML()
        self.audio: w.Audio | None = None
        self.audio_box = w.VBox()
        self.results = w.VBox([self.message, self.summary, self.event_table, self.figures,
                               self.audio_box, self.explanation])
        super().__init__([w.HBox([self.button, self.progress, self.status]), self.results])
        for part, name in ((self.button, "place-call"), (self.status, "status"),
                           (self.results, "results"), (self.message, "message"),
                           (self.event_table, "event-table"), (self.figures, "figures"),
                           (self.audio_box, "audio")):
            part.add_class("rl-" + name)  # stable selectors for the browser test

    def _step(self, index: int) -> None:
        self.progress.value = index
        self.status.value = html.escape(self.STEPS[index])

    def _clear(self) -> None:
        for part in (self.message, self.summary, self.event_table, self.explanation):
            part.value = ""
        self.figures.children, self.audio_box.children, self.audio = (), (), None

    def place_call(self) -> calls.CallResult | None:
        """Validate, place the call, fill the results panel; None (and a message) on failure."""
        started, self.result, self.error = time.monotonic(), None, []
        self.button.disabled = True
        self._clear()
        try:
            self._step(0)
            ncco = self.builder.ncco
            problems = rules.validate(ncco)
            if problems:
                return self._fail(["The call was not placed: the NCCO is not valid."]
                                  + [str(p) for p in problems])
            self._step(1)
            to = self.callee_editor.apply(self.lab)
            self._step(2)
            result = calls.run_call(self.lab, ncco, to, folder=self.folder, **self.call_options)
            self._step(3)
            self._show(result)
            self.result = result
        except Exception as err:  # every failure becomes sentences in the panel
            return self._fail(_error_sentences(err))
        finally:
            self.button.disabled = False
        self.progress.value = self.progress.max
        self.status.value = f"done in {time.monotonic() - started:.1f} s"
        return self.result

    def _fail(self, sentences: list[str]) -> None:
        self.error = sentences
        self.message.value = _lines(sentences, RED)
        self.status.value = f"<span style='color:{RED}'>stopped</span>"
        return None

    def _show(self, result: calls.CallResult) -> None:
        final = result.final_status
        self.summary.value = (f"<b>Call {html.escape(str(final.get('status')))}</b>, "
                              f"{len(result.files)} recording(s).")
        self.event_table.value = _event_table(result, self.lab)
        self.figures.children = _figures(result)
        if result.files:
            path = Path(result.files[0])
            self.audio = w.Audio(value=path.read_bytes(), format=path.suffix.lstrip("."),
                                 autoplay=False, loop=False)
            self.audio_box.children = (w.HTML(f"<b>Recording 1</b> ({path.name})"), self.audio)
        self.explanation.value = _pre(_explain_result(result))

    def __repr__(self) -> str:
        if self.result is not None:
            return (f"<Call runner: last call {self.result.final_status.get('status')}, "
                    f"{len(self.result.files)} recording(s)>")
        return "<Call runner: call not placed>" if self.error else "<Call runner: no call yet>"


def _event_table(result: calls.CallResult, lab) -> str:
    """The call's webhooks as an HTML table: time, kind or status, the fields that matter."""
    timeline = result.timeline
    if timeline:
        zero = timeline.get("answered") or 0.0
        head = "s after answer" if timeline.get("answered") is not None else "s after create"
        base = lab.event_url("")
        rows = [(f"{e['t'] - zero:+.2f}", e["payload"].get("status") or e["kind"],
                 str(e["url"] or "nowhere").removeprefix(base), e["payload"])
                for e in sorted(timeline["events"], key=lambda e: e["t"])]
    else:
        head = "time"
        rows = [(e.get("timestamp") or e.get("end_time", ""),
                 e.get("status") or ("record" if "recording_url" in e else "event"),
                 e.get("_received", {}).get("path", ""), e) for e in result.events]
    cells = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_short(c))}</td>" for c in (
            when, what, sent_to, ", ".join(f"{k}={payload[k]}" for k in EVENT_FIELDS
                                           if k in payload))) + "</tr>"
        for when, what, sent_to, payload in rows)
    return (f"<b>Events</b><table><tr><th>{head}</th><th>event</th><th>sent to</th>"
            f"<th>key fields</th></tr>{cells}</table>")


def _png(figure) -> w.Image:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    if "matplotlib.pyplot" in sys.modules:  # a pyplot figure would stay open otherwise
        sys.modules["matplotlib.pyplot"].close(figure)
    return w.Image(value=buffer.getvalue(), format="png", layout=w.Layout(max_width="900px"))


def _figures(result: calls.CallResult) -> tuple[w.Widget, ...]:
    """Timeline and waveform pictures, or a sentence saying why they are missing."""
    try:
        from . import plots
    except ImportError:
        return (w.HTML(f"<i style='color:{GREY}'>Plots are not available (helpers.plots is "
                       "missing).</i>"),)
    shown = []
    jobs = [("timeline", lambda: plots.plot_timeline(result.timeline), result.timeline),
            ("waveform", lambda: plots.plot_waveform(result.files[0], timeline=result.timeline),
             result.files)]
    for name, draw, needed in jobs:
        if not needed:
            continue
        try:
            shown.append(_png(draw()))
            shown[-1].add_class("rl-" + name)
        except Exception as err:  # a plot must never hide the rest of the results
            shown.append(w.HTML(f"<i style='color:{GREY}'>The {name} could not be drawn: "
                                f"{html.escape(str(err))}</i>"))
    return tuple(shown)


def _explain_result(result: calls.CallResult) -> str:
    lines = [rules.explain(result.ncco), ""]
    timeline = result.timeline
    if timeline:
        zero = timeline.get("answered") or 0.0
        for n, rec in enumerate(timeline["recordings"], 1):
            end = next(t for t in (rec["end"], timeline["ended"], timeline["now"])
                       if t is not None)
            lines.append(f"Recording {n} (action {rec['action_index']}) ran from "
                         f"{rec['start'] - zero:.2f} s to {end - zero:.2f} s after the answer; "
                         f"what ended it: {rec['ended_by']}.")
        lines.append(f"The call ended because {timeline['end_reason']}.")
    lines.append(f"Final status: {result.final_status.get('status')}.")
    return "\n".join(lines)


class _Titled(w.VBox):
    def __init__(self, label: str, children: list[w.Widget]):
        self.label = label
        super().__init__(children)

    def __repr__(self) -> str:
        return f"<{self.label}>"


def record_form_demo(action: dict | None = None) -> w.VBox:
    """A record form beside its JSON and the blocking line: lesson cells about one action."""
    preview, blocking = w.HTML(), w.HTML()

    def update(form: RecordForm) -> None:
        preview.value = _pre(json.dumps(form.action, indent=2))
        problems = rules.validate([form.action])
        blocking.value = _lines([p.message for p in problems], RED) if problems else \
            html.escape(rules.blocking_reason(form.action))

    form = RecordForm(action, on_change=update)
    update(form)
    demo = _Titled("record form demo", [form, w.HTML("<b>JSON</b>"), preview, blocking])
    demo.form = form
    return demo


def playground(lab, ncco: Any = None, number: str | None = None,
               folder: str | Path = "recordings") -> w.VBox:
    """Lesson 07: build an NCCO, choose who answers, place the call and study the result."""
    builder = NccoBuilder(ncco if ncco is not None else [{"action": "record"}])
    editor = CalleeEditor(number)
    runner = CallRunner(lab, builder, editor, folder=folder)
    box = _Titled("Recording playground", [
        w.HTML("<h3>1. Build the NCCO</h3>"), builder,
        w.HTML("<h3>2. Who answers</h3>"), editor,
        w.HTML("<h3>3. Place the test call</h3>"), runner])
    box.builder, box.callee_editor, box.runner = builder, editor, runner
    box.add_class("rl-playground")
    return box
