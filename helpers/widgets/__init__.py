"""Widgets for the lessons: build an NCCO, script the callee, place a test call, see the result.

Every control is generated from `rules.RECORD_PARAMS` / `rules.ACTION_PARAMS`: ranges, choices,
defaults and help texts are read from there, never typed here. Top-level widgets have short
reprs so notebooks that store outputs stay deterministic.
"""


from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import ipywidgets as w

from .. import rules
from ._common import RED, UNSET, _lines, _pre
from .builder import NccoBuilder
from .callee import CalleeEditor
from .diagnoser import DiagnoserWidget
from .forms import ActionForm, ParamForm, RecordForm
from .runner import CallRunner

__all__ = ["UNSET", "ActionForm", "CalleeEditor", "CallRunner", "DiagnoserWidget", "NccoBuilder",
           "ParamForm", "RecordForm", "playground", "record_form_demo"]


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
