"""The NCCO builder: add, remove and reorder actions; live JSON, validation, blocking."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from .. import rules
from ._common import (
    GREEN,
    RED,
    _lines,
    _pre,
)
from .forms import ActionForm, _RawAction


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
        self.problems_html.add_class("rl-ncco-problems")  # a stable selector for the browser test
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


