"""The call runner: place the test call and show its events, timeline, waveform, audio."""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

import ipywidgets as w

from .. import calls, rules
from ._common import (
    EVENT_FIELDS,
    GREY,
    RED,
    _lines,
    _pre,
    _short,
    png_widget,
)
from .builder import NccoBuilder
from .callee import CalleeEditor


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
        head = "s after answer" if timeline.was_answered else "s after create"
        base = lab.event_url("")
        rows = [(f"{row.at:+.2f}", row.kind, str(row.url or "nowhere").removeprefix(base),
                 row.payload) for row in timeline.event_rows()]
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


def _figures(result: calls.CallResult) -> tuple[w.Widget, ...]:
    """Timeline and waveform pictures, or a sentence saying why they are missing."""
    try:
        from .. import plots
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
            shown.append(png_widget(draw()))
            shown[-1].add_class("rl-" + name)
        except Exception as err:  # a plot must never hide the rest of the results
            shown.append(w.HTML(f"<i style='color:{GREY}'>The {name} could not be drawn: "
                                f"{html.escape(str(err))}</i>"))
    return tuple(shown)


def _explain_result(result: calls.CallResult) -> str:
    lines = [rules.explain(result.ncco), ""]
    timeline = result.timeline
    if timeline:
        for n, window in enumerate(timeline.windows(), 1):
            lines.append(f"Recording {n} (action {window.action}) ran from "
                         f"{window.start:.2f} s to {window.end:.2f} s after the answer; "
                         f"what ended it: {window.ended_by}.")
        lines.append(f"The call ended because {timeline.end_reason}.")
    lines.append(f"Final status: {result.final_status.get('status')}.")
    return "\n".join(lines)


