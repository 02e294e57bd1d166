"""The callee editor: a built-in persona or a custom script for the phone that answers."""

from __future__ import annotations

import html
import re

import ipywidgets as w

from .. import calls
from ..callees import PERSONAS, ScriptError, parse_callee
from ._common import (
    GREEN,
    RED,
    STEP_KINDS,
    _lines,
    _shown,
)


def _where(name: str) -> str:
    found = re.match(r"script\[(\d+)\]", name)
    return f"Step {int(found.group(1)) + 1}: " if found else ""


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
            self.text.value = str(step.get("say" if kind == "say" else "text", ""))
        for control in (self.kind, self.seconds, self.digits, self.text):
            control.observe(lambda _c: editor._refresh(), "value")
        self._show()

    def _show(self) -> None:
        _shown(self.seconds, self.kind.value in ("speak", "silence"))
        _shown(self.digits, self.kind.value == "press")
        _shown(self.text, self.kind.value in ("speak", "say"))
        self.text.placeholder = "the words spoken" if self.kind.value == "say" else \
            "what is said (optional)"

    @property
    def step(self) -> dict:
        kind = self.kind.value
        if kind == "hangup":
            return {"hangup": True}
        if kind == "press":
            return {"press": self.digits.value.strip()}
        if kind == "say":  # real words, as long as the speech takes (helpers.tts)
            return {"say": self.text.value}
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


