"""Forms generated from the rules table: one row per parameter, never a typed range."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from .. import rules
from ._common import (
    GREY,
    RED,
    UNSET,
    _pre,
)


def _make_control(param: rules.Param) -> w.Widget:
    """The control for one parameter, its range, choices and help read from the Param."""
    tip = f"{param.summary} Allowed: {param.allowed()}. Default: {param.default_text()}."
    kw = {"tooltip": tip, "layout": w.Layout(width="180px", flex="0 0 180px")}
    kind = param.kind
    if kind in ("int", "number"):
        # a text box, not a bounded one: a bounded box or a slider silently clamps 99999 to
        # 7200, so the trainee never sees the validator refuse a customer's out-of-range value
        return w.Text(value="", placeholder=_placeholder(param), continuous_update=False, **kw)
    if kind in ("choice", "method", "key"):
        options = rules.KEYS if kind == "key" else param.choices
        return w.Dropdown(options=(UNSET, *options), value=UNSET, **kw)
    if kind == "bool":
        return w.Dropdown(options=(UNSET, "true", "false"), value=UNSET, **kw)
    if kind == "list":
        return w.SelectMultiple(options=param.choices, rows=len(param.choices), **kw)
    if kind == "object" and param.fields:
        return ParamForm(param.fields)
    return w.Text(placeholder=param.allowed(), **kw)  # text, url_list, endpoint, object


def _placeholder(param: rules.Param) -> str:
    """What an empty number box says: unset, and what Vonage does then."""
    default = param.default_text()  # "unset", "unset (2 with split)" or a value such as "60"
    return default if default.startswith("unset") else f"unset (default {default})"


def _number(text: str, kind: str) -> Any:
    """The number typed in a box, or the text itself (the validator then says what is wrong)."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        return text
    if kind == "int" and value == int(value) and "." not in text and "e" not in text.lower():
        return int(value)
    return int(value) if kind == "number" and value == int(value) else value


NOTE = "font-size:85%;line-height:1.3;padding-top:4px"  # help beside a control, compact


def _help(param: rules.Param, extra: str = "", problem: str | None = None) -> str:
    """A row's visible help: what the parameter does, what it accepts, or why a value is wrong."""
    blocks = " · blocks the NCCO" if param.blocking else ""
    if problem:
        return f"<div style='{NOTE};color:{RED}'>{html.escape(problem)}</div>"
    return (f"<div style='{NOTE}'>{html.escape(param.summary)} <span style='color:{GREY}'>"
            f"{html.escape(param.allowed())}{blocks}{html.escape(extra)}</span></div>")


class _Row:
    """One parameter: an "include" toggle, its control and what it accepts."""

    def __init__(self, param: rules.Param, form: ParamForm):
        self.param, self.form = param, form
        self.include = w.Checkbox(value=False, description=param.name, indent=False,
                                  tooltip=param.summary,
                                  layout=w.Layout(width="150px", flex="0 0 150px"))
        self.control = _make_control(param)
        self.unset_option = UNSET in getattr(self.control, "options", ())
        self.number_box = param.kind in ("int", "number")
        self.note = w.HTML(_help(param), layout=w.Layout(flex="1 1 auto", min_width="0"))
        if isinstance(self.control, ParamForm):
            self.control.on_change(lambda _form: self._touched())
            self.box = w.VBox([w.HBox([self.include, self.note]), self.control])
            self.control.layout.margin = "0 0 0 24px"
        else:
            self.control.observe(lambda _c: self._touched(), "value")
            self.box = w.HBox([self.include, self.control, self.note])
        self.box.add_class(f"rl-param-{param.name}")  # a stable selector for the browser test
        self.include.observe(lambda _c: self._toggled(), "value")

    def _touched(self) -> None:  # the trainee changed the value: it is meant to be sent
        if self.form._loading:
            return
        self.form.raw.pop(self.param.name, None)
        if (self.unset_option and self.control.value == UNSET) or \
                (self.number_box and not self.control.value.strip()):
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
        if self.number_box:  # ticked: the default (or the smallest value) to start from
            if not self.include.value:
                self.control.value = ""
            elif not self.control.value.strip():
                start = self.param.default if self.param.default is not None \
                    else self.param.minimum
                self.control.value = json.dumps(int(start) if start == int(start) else start)
        self.form._changed()

    def read(self) -> Any:
        value, kind = self.control.value, self.param.kind
        if self.number_box:
            return _number(value, kind)
        if kind == "bool":
            return value == "true"
        if kind == "list":
            return list(value)
        if kind == "url_list":
            return [value.strip()]
        if kind == "endpoint":
            return [{"type": "phone", "number": value.strip()}]
        if kind == "id_list" or (kind == "object" and not self.param.fields):
            try:
                return json.loads(value) if value.strip() else {}
            except json.JSONDecodeError:
                return value  # the rules then say it must be an object
        return value

    def write(self, value: Any) -> bool:
        """Show `value` in the control; False when the control cannot hold it."""
        kind, control = self.param.kind, self.control
        if self.number_box:  # any number is shown as given, in range or not
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return False
            control.value = json.dumps(value)
            return _number(control.value, kind) == value
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
        elif kind in ("object", "id_list"):  # a list of leg ids is shown as its JSON
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
            extra = f" · applies only when {needed} is set" if needed and not applies else ""
            problem = None
            if row.include.value and applies and not isinstance(row.control, ParamForm):
                problem = row.param.check(self.raw.get(name, row.read()))
            row.note.value = _help(row.param, extra, problem)

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
                if row.number_box and name not in values:
                    row.control.value = ""
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


