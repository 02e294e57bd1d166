"""The NCCO diagnoser: paste a customer's NCCO, get what is wrong with it and why, in words.

`diagnose(ncco, callee, lab=lab)` gives (a) validation problems with the allowed values,
(b) the rules' plain-words explanation, (c) the classic mistakes found (`FINDINGS`), each with
its fix, and (d) with a lab, a simulated test call against the chosen callee, whose timeline
and recordings the findings quote as evidence. Bad input never raises: it becomes a Problem.
"""

from __future__ import annotations

import html
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any
from urllib.parse import urlparse

from .. import rules
from ..call_timeline import CallTimeline
from ..callees import (
    DEFAULT_CALLEE,
    NUMBERS,
    PERSONAS,
    Callee,
    ScriptError,
    parse_callee,
)
from ..calls import CallResult, get_callee, run_call, set_callee
from ..client import Lab
from .context import Context, Finding, spans_text
from .findings import FINDINGS, NOTICES, details, hide_names, run_checks, shown

__all__ = ["Diagnosis", "Finding", "FINDINGS", "NOTICES", "diagnose", "DIAGNOSE_NUMBER",
           "DEFAULT_NUMBER"]

DEFAULT_NUMBER = NUMBERS[DEFAULT_CALLEE.name]  # the talker: who answers when no callee is given
DIAGNOSE_NUMBER = "447700909999"  # a callee script given as a dict is set on this number
MAX_INPUT_CHARS = 100_000  # the diagnoser's own limit; a real NCCO is a few hundred characters
SIMULATION_TIMEOUT = 60.0  # real seconds to wait for a simulated call (virtual time is fast)


def _problem(message: str, value: Any = None, allowed: str = "a JSON list of actions",
             parameter: str | None = None) -> rules.Problem:
    return rules.Problem(None, None, parameter, value, allowed, message)


def _json_hint(text: str, err: json.JSONDecodeError) -> str:
    before = text[:err.pos].rstrip()
    if any(q in text for q in "\u201c\u201d\u2018\u2019"):
        return "It holds curly quotes (\u201c \u201d): JSON needs straight double quotes \"."
    if "double quotes" in err.msg and "'" in text:
        return "JSON needs double quotes around names and text; single quotes are Python."
    if before.endswith(","):
        return "Remove the comma before this point: JSON allows no trailing comma."
    if text[err.pos:err.pos + 5].startswith(("True", "False", "None")):
        return "JSON writes true, false and null in lower case."
    if "delimiter" in err.msg:
        return "A comma (or a closing bracket) is missing just before this point."
    if err.msg.startswith("Extra data"):
        return ("There is more after the end of the NCCO: several actions need one "
                "surrounding [ ], and only one NCCO can be pasted.")
    return ""


def _json_problem(text: str, err: json.JSONDecodeError) -> rules.Problem:
    """Where the JSON breaks: the line, a caret under the column, and a hint when we know one."""
    line = text.splitlines()[err.lineno - 1] if text.splitlines()[err.lineno - 1:] else ""
    start = max(0, err.colno - 40)
    caret = f"\n    {line[start:start + 80]}\n    {' ' * (err.colno - 1 - start)}^"
    hint = _json_hint(text, err)
    return _problem(f"This is not valid JSON: {err.msg} at line {err.lineno}, column "
                    f"{err.colno}.{caret}" + (f"\n  {hint}" if hint else ""))


def read_ncco(ncco: Any) -> tuple[list | None, list[rules.Problem]]:
    """The NCCO as a list of actions, or None and a Problem that says what the input is."""
    if isinstance(ncco, bytes):
        try:
            ncco = ncco.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            return None, [_problem(f"This is not UTF-8 text (byte {err.start} cannot be read): "
                                   "paste the NCCO as text.")]
    if isinstance(ncco, str):
        text = ncco.lstrip("\ufeff")
        if not text.strip():
            return None, [_problem("The input is empty: paste the NCCO, a JSON list such as "
                                   "[{\"action\": \"record\"}].", "")]
        if len(text) > MAX_INPUT_CHARS:
            return None, [_problem(f"This input is {len(text):,} characters; the diagnoser "
                                   f"reads at most {MAX_INPUT_CHARS:,} (a real NCCO is a few "
                                   "hundred). Paste only the NCCO.", f"{len(text):,} characters")]
        try:
            ncco = json.loads(text)
        except json.JSONDecodeError as err:
            return None, [_json_problem(text, err)]
        except RecursionError:
            return None, [_problem("This JSON is nested too deeply to be an NCCO: an NCCO is a "
                                   "list of flat action objects.")]
        if isinstance(ncco, str):  # valid JSON, but a string: not to be parsed a second time
            return None, [_problem("An NCCO must be a list of actions, [ ... ]; you gave a "
                                   "string.", ncco)]
    elif isinstance(ncco, (list, tuple)):
        ncco = [a.model_dump(by_alias=True, exclude_none=True) if hasattr(a, "model_dump")
                else a for a in ncco]  # the SDK's NCCO models, as the SDK would send them
        try:
            size = len(json.dumps(ncco, default=repr))
        except (RecursionError, ValueError):
            size = MAX_INPUT_CHARS + 1
        if size > MAX_INPUT_CHARS:
            return None, [_problem(f"This NCCO is too large for the diagnoser (more than "
                                   f"{MAX_INPUT_CHARS:,} characters as JSON).", "too large")]
    if isinstance(ncco, dict) and isinstance(ncco.get("ncco"), list):
        return None, [_problem("This is a whole create-call request; paste only the list in its "
                               "\"ncco\" field.", "an object with an ncco field")]
    return rules.parse(ncco)


def _script_label(callee: Callee) -> str:
    steps = []
    for step in callee.script:
        kind = next((k for k in step if k != "text"), "?")
        steps.append("hang up" if kind == "hangup" else f"press {step[kind]}" if
                     kind == "press" else f"{kind} {step[kind]} s")
    ring = "never answers" if callee.answer_after is None else \
        f"answers after {callee.answer_after:g} s"
    if callee.busy:
        ring = "busy"
    return f"a scripted callee ({ring}: {', '.join(steps) or 'silent, stays on the line'})"


def resolve_callee(callee: Any, lab: Lab | None) -> tuple[str, Callee | None, str,
                                                          list[rules.Problem]]:
    """(number to call, the callee's script if known, a label, problems with the callee)."""
    if callee is None:
        callee = DEFAULT_NUMBER
    if isinstance(callee, dict):
        try:
            scripted = parse_callee(DIAGNOSE_NUMBER, callee)
        except ScriptError as err:
            return DIAGNOSE_NUMBER, None, "a scripted callee", [_problem(
                f"The callee script is not usable: {err}", callee, "a callee script: "
                "{\"answer_after\": s, \"script\": [{\"speak\": s}, {\"silence\": s}, "
                "{\"press\": \"#\"}, {\"hangup\": true}]}", "callee")]
        return DIAGNOSE_NUMBER, scripted, _script_label(scripted), []
    number = str(callee)
    if isinstance(callee, bool) or not isinstance(callee, (str, int)) or not number.isdigit():
        return DEFAULT_NUMBER, None, "no usable callee", [_problem(
            f"The callee must be a phone number such as {DEFAULT_NUMBER} (a persona), a script "
            f"dict or None; you gave {number[:60]!r}.", number[:60], "a number or a script",
            "callee")]
    if number in PERSONAS:
        return number, PERSONAS[number], f"{number}, {PERSONAS[number].name}", []
    if lab is not None and lab.simulator is not None:
        known, default = get_callee(lab, number)
        label = f"{DEFAULT_CALLEE.name}, the default for numbers nobody scripted" if default \
            else known.name
        return number, known, f"{number}, {label}", []
    return number, None, f"{number} (script unknown without the lab)", []


def _point_urls_at(lab: Lab, value: Any) -> Any:
    """A copy of the NCCO whose webhook URLs go to the lab's receiver (never out of the box)."""
    if isinstance(value, list):
        return [_point_urls_at(lab, v) for v in value]
    if not isinstance(value, dict):
        return value
    copy = {k: _point_urls_at(lab, v) for k, v in value.items()}
    urls = copy.get("eventUrl")
    if isinstance(urls, list) and urls and isinstance(urls[0], str):
        copy["eventUrl"] = [lab.event_url("/customer" + (urlparse(urls[0]).path or "/"))]
    return copy


def _simulate(lab: Lab, actions: list, number: str, callee: Any,
              folder: str) -> tuple[CallResult | None, list[str]]:
    if lab.simulator is None:
        return None, ["Not simulated: the lab is in live mode and the diagnoser never places "
                      "real calls."]
    try:
        if isinstance(callee, dict):
            set_callee(lab, number, callee.get("script", []), callee.get("answer_after", 1.0),
                       busy=callee.get("busy", False))
        with _lab_sockets(lab, actions) as pointed:
            result = run_call(lab, _point_urls_at(lab, pointed), number, folder=folder,
                              timeout=SIMULATION_TIMEOUT)
    except Exception as err:  # the rest of the diagnosis still stands
        return None, [f"The simulated call could not be completed: {err}"]
    notes = ["For the simulation, the NCCO's webhook URLs were pointed at the lab's "
             "receiver."] if "eventUrl" in json.dumps(actions) else []
    if pointed is not actions:
        notes.append("For the simulation, each WebSocket endpoint was the lab's echo socket "
                     "(lab.socket()), which stays up until the call ends.")
    return result, notes


@contextmanager
def _lab_sockets(lab: Lab, actions: list):
    """The NCCO with each websocket endpoint's uri on a lab socket (stopped afterwards), or
    the NCCO itself when it has none."""
    uses = any(isinstance(a, dict) and isinstance(a.get("endpoint"), list) and a["endpoint"]
               and isinstance(a["endpoint"][0], dict)
               and a["endpoint"][0].get("type") == "websocket" for a in actions)
    if not uses:
        yield actions
        return
    sock = lab.socket()
    try:
        yield [{**a, "endpoint": [{**a["endpoint"][0], "uri": sock.uri}]}
               if isinstance(a, dict) and isinstance(a.get("endpoint"), list) and a["endpoint"]
               and isinstance(a["endpoint"][0], dict)
               and a["endpoint"][0].get("type") == "websocket" else a for a in actions]
    finally:
        sock.stop()


def without_wrong_case(actions: list) -> tuple[list, list[str]] | None:
    """The NCCO with every wrong-case parameter name left out (as if Vonage ignored them),
    and those names; None when that does not leave a valid NCCO."""
    stripped, dropped = [], []
    for body in actions:
        table = rules.ACTION_PARAMS.get(body.get("action"), {}) if isinstance(body, dict) and \
            isinstance(body.get("action"), str) else None
        if not table:
            stripped.append(body)
            continue
        wrong = [k for k in body if k not in table and k != "action"
                 and any(str(k).lower() == g.lower() for g in table)]
        dropped += wrong
        stripped.append({k: v for k, v in body.items() if k not in wrong})
    return (stripped, dropped) if dropped and not rules.validate(stripped) else None


@dataclass
class Diagnosis:
    """What is wrong with one NCCO: problems, explanation, findings and a simulated call."""

    ncco: list | None
    problems: list[rules.Problem]
    explanation: str
    findings: list[Finding]
    result: CallResult | None
    callee: str = ""
    notes: list[str] = field(default_factory=list)
    #: Values written in a form the lab reads but the NCCO reference does not show ("7200"
    #: for 7200, "false" for false, null): a notice each, never a problem.
    type_notices: list[str] = field(default_factory=list)

    def ok(self) -> bool:
        """True when the NCCO is valid and no finding (other than a notice) was raised."""
        return not self.problems and all(f.code in NOTICES for f in self.findings)

    def _notice(self, finding: Finding) -> bool:
        """A notice is "nothing to fix" only when no real finding is about the same action."""
        return finding.code in NOTICES and not any(
            f.index == finding.index and f.code not in NOTICES for f in self.findings)

    @property
    def codes(self) -> list[str]:
        """The codes of the findings, in order."""
        return [f.code for f in self.findings]

    @property
    def timeline(self) -> CallTimeline | None:
        return None if self.result is None else self.result.timeline

    def windows(self) -> list[dict]:
        """Each simulated recording: action, start/end from the answer, length, what ended it."""
        if not self.timeline or not self.timeline.was_answered:
            return []
        return [{"action": w.action, "start": round(w.start, 2), "end": round(w.end, 2),
                 "ended_by": w.ended_by, "channels": rules.channel_count(w.run.params),
                 "format": rules.record_format(w.run.params)}
                for w in self.timeline.windows()]

    def _sections(self) -> list[tuple[str, list[str]]]:
        kinds = ", ".join(str(a.get("action")) if isinstance(a, dict) else "?"
                          for a in self.ncco or [])
        head = (f"NCCO of {len(self.ncco)} action(s): {kinds}." if self.ncco is not None else
                "The input could not be read as an NCCO.")
        sections = [("Diagnosis", [head, f"Callee: {self.callee}."])]
        sections.append(("Problems", [hide_names(str(p)) for p in self.problems] or
                         ["None: the NCCO is valid."]))
        if self.ncco is not None and not self.problems:
            sections.append(("What it records", hide_names(self.explanation).splitlines()))
        sections.append(("Findings", [shown(f, self._notice(f)) for f in self.findings]
                         or ["No classic mistake found." if self.ncco is not None else
                             "Not checked: fix the problem above first."]))
        if self.type_notices:
            sections.append(("Notices", self.type_notices))
        sections.append(("Simulated call", self._call_lines()))
        if self.notes:
            sections.append(("Notes", self.notes))
        return sections

    def _call_lines(self) -> list[str]:
        tl = self.timeline
        if tl is None:
            return ["Not simulated" + (": the NCCO has problems to fix first." if self.problems
                                       else ": pass lab=... to run a test call.")]
        final = self.result.final_status.get("status")
        if not tl.was_answered:
            return [f"Not answered ({tl.end_reason}); final status {final}."]
        ctx = Context(self.ncco or [], True, timeline=tl)
        lines = [f"Answered {tl.answered:.1f} s after the call was placed; ended "
                 f"{ctx.end_reason()}; final status {final}."]
        speech, keys = ctx.spans(), ctx.presses()
        if speech or keys:
            lines.append("The caller " + "; ".join(filter(None, [
                f"spoke at {spans_text(speech)}" if speech else "",
                "pressed " + ", ".join(f"{p['digit']} at {p['at']:.1f} s" for p in keys[:8])
                if keys else ""])) + " (seconds from the answer).")
        for n, w in enumerate(self.windows(), 1):
            lines.append(f"Recording {n} (action {w['action']}): {w['start']:.1f}\u2013"
                         f"{w['end']:.1f} s after the answer ({w['end'] - w['start']:.1f} s, "
                         f"{w['format']}, {w['channels']} channel(s)); ended by: "
                         f"{w['ended_by']}.")
        if not tl.recordings:
            lines.append("No recording was made.")
        return lines

    def report(self) -> str:
        """The whole diagnosis as plain text, the same from run to run. Each finding is one
        short line; `details()` gives the evidence behind each."""
        return "\n\n".join(title + "\n" + "\n".join("  " + line for line in lines)
                           for title, lines in self._sections())

    def details(self) -> str:
        """Each finding with its evidence: what the simulated call showed, the lab assumptions
        it rests on, and the fix for this NCCO."""
        return "\n\n".join("\n".join([shown(f, self._notice(f))] + [
            "  " + line for line in details(f, self._notice(f))]) for f in self.findings) or \
            "No findings."

    def _finding_html(self, finding: Finding) -> str:
        """One finding: its short line, and the evidence folded under it. The code and the
        assumptions' names are in tooltips only, for trainers."""
        notice = self._notice(finding)
        names = " ".join((finding.code, *finding.assumptions))
        why = "".join(f"<p style='margin:2px 0'>{html.escape(line)}</p>"
                      for line in details(finding, notice))
        return (f"<li title='{html.escape(names)}' style='white-space:pre-wrap'>"
                f"{html.escape(shown(finding, notice))}<details style='color:#444'><summary>"
                f"why, and what the test call showed</summary>{why}</details></li>")

    def _repr_html_(self) -> str:
        colours = {"Problems": "#b3261e", "Findings": "#8a5300"}
        parts = []
        for title, lines in self._sections():
            colour = colours.get(title, "#222") if not (
                title == "Problems" and not self.problems) else "#1b7f3b"
            items = "".join(f"<li style='white-space:pre-wrap'>{html.escape(line)}</li>"
                            for line in lines)
            if title == "Findings" and self.findings:
                items = "".join(self._finding_html(f) for f in self.findings)
            parts.append(f"<h4 style='margin:6px 0 2px;color:{colour}'>{title}</h4>"
                         f"<ul style='margin:0'>{items}</ul>")
        return "<div>" + "".join(parts) + "</div>"

    def __repr__(self) -> str:
        return self.report()


def diagnose(ncco: str | bytes | list | object, callee: str | dict | None = None, *,
             lab: Lab | None = None, folder: str = "recordings") -> Diagnosis:
    """Diagnose an NCCO (JSON text or a list) for a callee (persona number, script dict or
    None for the talker); with `lab`, also simulate the call. Never raises for bad input."""
    try:
        actions, problems = read_ncco(ncco)
    except Exception as err:  # whatever the object, the trainee gets a sentence
        actions, problems = None, [_problem(f"This input cannot be read as an NCCO ({err}).")]
    number, script, label, callee_problems = resolve_callee(callee, lab)
    if actions is not None:
        try:
            problems = rules.validate(actions)
            explanation = rules.explain(actions)
        except Exception as err:
            problems = [_problem(f"The rules could not check this NCCO ({err!r}).")]
            explanation = ""
    else:
        explanation = "Not explained: " + problems[0].message.splitlines()[0]
    problems = problems + callee_problems
    result, notes, extra, notices = None, [], {}, []
    sent = actions
    if actions is not None and not rules.validate(actions):
        notices = type_notices(actions)
        actions = rules.normalise(actions)  # the checks and the call read 7200, not "7200"
    if lab is not None and actions is not None and not problems:
        result, notes = _simulate(lab, actions, number, callee, folder)
    elif lab is not None and actions is not None and not callee_problems:
        ignored = without_wrong_case(actions)  # evidence for what an ignored name would do
        if ignored is not None:
            as_ignored, notes = _simulate(lab, ignored[0], number, callee, folder)
            extra["ignored"] = (as_ignored.timeline if as_ignored else None, ignored[1])
    ctx = Context(actions or [], actions is not None and not problems, script, label,
                  result.timeline if result else None, _sdk_version(),
                  lab.event_url("") if lab is not None else "", extra)
    findings, failures = run_checks(ctx)
    return Diagnosis(sent, problems, explanation, findings, result, label, notes + failures,
                     notices)


def type_notices(actions: list) -> list[str]:
    """A notice for each value sent as text where the NCCO reference shows a number or a
    boolean (the PHP SDK sends "timeOut": "7200"), and for each null. The lab accepts both
    (assumptions.TEXT_NUMBERS_AND_BOOLEANS, NULL_MEANS_ABSENT); no source says Vonage rejects
    them, so this is a notice, not an error."""
    notices = []
    for index, name, sent, read in rules.loose_values(actions):
        if sent is None:
            notices.append(f"Action {index} sends {name}: null. The lab reads it "
                           "as not given (its default applies); Vonage's reference shows no "
                           "null and its Python SDK leaves unset fields out: do the same.")
        else:
            notices.append(f"Action {index} sends {name} as the text "
                           f"{json.dumps(sent)}; the NCCO reference shows "
                           f"{json.dumps(read)}. The lab (like the PHP SDK, which always "
                           "sends text) reads it as " + json.dumps(read) + "; send "
                           f"{json.dumps(read)} to match the reference.")
    return notices


def _sdk_version() -> str:
    try:
        return version("vonage")
    except Exception:
        return "(version unknown)"

