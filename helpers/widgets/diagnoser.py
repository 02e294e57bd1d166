"""The diagnoser as a widget: paste a customer's NCCO, choose who answers, press Diagnose.

All logic is in `DiagnoserWidget.run()`, which returns the `Diagnosis`, so tests and notebook
cells can drive it without a browser. Errors become sentences in the panel, never tracebacks.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..callees import PERSONAS
from ..client import Lab
from ..diagnoser import DEFAULT_NUMBER, Diagnosis, diagnose
from ._common import png_widget

CUSTOM = "custom"  # the dropdown value that stands for a callee script given as a dict
RED, GREEN, GREY = "#b3261e", "#1b7f3b", "#666"
MAX_WAVEFORMS = 2  # a pasted NCCO may record many times; two pictures say enough
PLACEHOLDER = '[\n  {"action": "record", "eventUrl": ["https://example.com/recordings"]}\n]'


def _note(text: str, colour: str = GREY) -> w.HTML:
    return w.HTML(f"<div style='color:{colour}'>{html.escape(text)}</div>")


def figures(diagnosis: Diagnosis) -> list[w.Widget]:
    """The simulated call's timeline and each recording's waveform, or sentences saying why
    a picture is missing."""
    result = diagnosis.result
    if result is None or not result.timeline or not result.timeline.was_answered:
        return []
    from .. import plots

    jobs = [("timeline", lambda: plots.plot_timeline(
        result.timeline, title="The simulated call: what was recorded and when"))]
    for n, path in enumerate(result.files[:MAX_WAVEFORMS], 1):
        jobs.append((f"waveform of recording {n}", lambda path=path, n=n: plots.plot_waveform(
            path, timeline=result.timeline, title=f"Recording {n}: what the file holds")))
    shown: list[w.Widget] = []
    for name, draw in jobs:
        try:
            shown.append(png_widget(draw()))
        except Exception as err:  # a picture must never hide the diagnosis
            shown.append(_note(f"The {name} could not be drawn: {err}"))
    if len(result.files) > MAX_WAVEFORMS:
        shown.append(_note(f"{len(result.files) - MAX_WAVEFORMS} more recording(s) not drawn."))
    return shown


class DiagnoserWidget(w.VBox):
    """Paste an NCCO (JSON), choose a callee, press Diagnose: report, timeline, waveforms."""

    def __init__(self, lab: Lab | None = None, ncco: Any = None, callee: Any = None, *,
                 folder: str | Path = "recordings"):
        self.lab, self.folder = lab, str(folder)
        self.diagnosis: Diagnosis | None = None
        self.error = ""
        self.text = w.Textarea(placeholder=PLACEHOLDER, description="",
                               layout=w.Layout(width="100%", height="220px"))
        self._script: dict | None = None
        self.callee = w.Dropdown(description="Who answers",
                                 style={"description_width": "initial"},
                                 layout=w.Layout(width="100%"))
        self.button = w.Button(description="Diagnose", icon="stethoscope",
                               button_style="primary", layout=w.Layout(width="160px"))
        self.button.on_click(lambda _b: self.run())
        self.status = w.HTML()
        self.report = w.HTML()
        self.pictures = w.VBox()
        self._set_callee_options(callee)
        if ncco is not None:
            self.set_ncco(ncco)
        super().__init__([w.HTML("<b>The customer's NCCO (JSON)</b>"), self.text, self.callee,
                          w.HBox([self.button, self.status]), self.report, self.pictures])

    def _set_callee_options(self, callee: Any) -> None:
        options = [(f"{number} {c.name}: {c.description}", number)
                   for number, c in PERSONAS.items()]
        self._script = callee if isinstance(callee, dict) else None
        if self._script is not None:
            options.insert(0, ("the ticket's own callee script", CUSTOM))
        self.callee.options = options
        self.callee.value = CUSTOM if self._script is not None else (
            str(callee) if str(callee) in PERSONAS else DEFAULT_NUMBER)

    def set_ncco(self, ncco: Any) -> None:
        """Put an NCCO in the text box: JSON text as is, a list as indented JSON."""
        import json

        self.text.value = ncco if isinstance(ncco, str) else json.dumps(ncco, indent=2)

    def load_case(self, case) -> None:
        """Fill the widget from a ticket of the case library (its NCCO and its callee)."""
        self.set_ncco(case.ncco)
        self._set_callee_options(case.callee)

    def chosen_callee(self) -> str | dict:
        """The persona number, or the ticket's script, that the dropdown shows."""
        return self._script if self.callee.value == CUSTOM else self.callee.value

    def run(self) -> Diagnosis | None:
        """Diagnose what the text box holds; fill the panel; return the Diagnosis."""
        self.button.disabled, self.error = True, ""
        self.status.value = "diagnosing\u2026"
        self.report.value, self.pictures.children = "", ()
        try:
            self.diagnosis = diagnose(self.text.value, self.chosen_callee(), lab=self.lab,
                                      folder=self.folder)
            self.report.value = self.diagnosis._repr_html_()
            self.pictures.children = tuple(figures(self.diagnosis))
            self.status.value = self._verdict(self.diagnosis)
        except Exception as err:  # never a traceback in the trainee's face
            self.diagnosis, self.error = None, f"The diagnoser stopped: {err}"
            self.status.value = f"<span style='color:{RED}'>{html.escape(self.error)}</span>"
        finally:
            self.button.disabled = False
        return self.diagnosis

    def _verdict(self, diagnosis: Diagnosis) -> str:
        if diagnosis.ncco is None:
            first = diagnosis.problems[0].message.splitlines()[0]
            self.error = f"The NCCO could not be read. {first}"
            return f"<span style='color:{RED}'>{html.escape(self.error)}</span>"
        words = [f"{len(diagnosis.problems)} problem(s)" if diagnosis.problems else "valid",
                 f"{len(diagnosis.findings)} finding(s)"]
        colour = GREEN if diagnosis.ok() else RED if diagnosis.problems else "#8a5300"
        return f"<span style='color:{colour}'>{', '.join(words)}</span>"

    def __repr__(self) -> str:
        if self.diagnosis is None:
            return "<NCCO diagnoser: " + ("stopped>" if self.error else "not run yet>")
        if self.diagnosis.ncco is None:
            return "<NCCO diagnoser: the input is not an NCCO>"
        return (f"<NCCO diagnoser: {len(self.diagnosis.problems)} problem(s), "
                f"{len(self.diagnosis.findings)} finding(s)>")
